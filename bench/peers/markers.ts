// Cutting the timed region out of a serial console stream: the multiboot kernel writes the line
// "@begin" just before the workload and "@end" just after it (bench/peers/multiboot.c). The host
// stamps the moment it sees the newline of "@begin" and the "@" of "@end"; the time between is the
// workload (plus the few port writes of "@end"). Feed bytes in arrival order with their time.
export class MarkerClock {
  private text = '';
  begin?: number;
  end?: number;
  /** Instruction counter readings at the two markers, when the caller has a counter. */
  beginCount?: number;
  endCount?: number;

  /** Appends bytes that arrived at time `now` (ms); `count` reads an instruction counter. */
  feed(chunk: string, now: number, count?: () => number): void {
    for (const c of chunk) {
      this.text += c;
      if (this.begin === undefined && this.text.endsWith('@begin\n')) {
        this.begin = now;
        this.beginCount = count?.();
      } else if (this.begin !== undefined && this.end === undefined && this.text.endsWith('\n@')) {
        this.end = now;
        this.endCount = count?.();
      }
    }
  }

  get output(): string {
    return this.text;
  }

  /** Seconds between the markers, once both were seen. */
  get seconds(): number | undefined {
    return this.begin !== undefined && this.end !== undefined ? (this.end - this.begin) / 1000 : undefined;
  }

  get instructions(): number | undefined {
    return this.beginCount !== undefined && this.endCount !== undefined ? this.endCount - this.beginCount : undefined;
  }
}
