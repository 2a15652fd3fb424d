// The worker's profiler controls (VmApi startProfiling, stopProfiling, profile, profileTrace; see
// workers/api.ts): at most one recording per domain, kept after it stops (and after the domain is
// destroyed) until the next one starts, so the CLI can print and write it at exit and the page can
// download it after pressing stop.
import type { Core } from '../core.ts';
import { ProfileRecorder } from './recorder.ts';
import type { ProfileOptions, ProfileSnapshot } from './types.ts';

export class ProfilerControl {
  private recorder?: ProfileRecorder;

  /** Starts a new recording (the previous one is dropped). */
  start(core: Core, options: ProfileOptions | undefined, domainName: string): void {
    const next = new ProfileRecorder(core, options ?? {}, domainName);
    this.recorder?.detach();
    this.recorder = next;
    next.start();
  }

  /** Ends the recording (it stays readable); its final snapshot. */
  stop(): ProfileSnapshot {
    const r = this.require();
    r.stop();
    return r.snapshot();
  }

  /** The cost accounting so far, or undefined when nothing was ever recorded. */
  snapshot(): ProfileSnapshot | undefined {
    return this.recorder?.snapshot();
  }

  /** The recording as Trace Event Format JSON. */
  trace(): string {
    return this.require().traceJson();
  }

  /** After every slice of the domain's run loop. */
  afterSlice(): void {
    this.recorder?.afterSlice();
  }

  /** The domain's core is going away: finish the recording without it. */
  detach(): void {
    this.recorder?.detach();
  }

  private require(): ProfileRecorder {
    if (!this.recorder) throw new Error('nothing was profiled: call startProfiling() first');
    return this.recorder;
  }
}
