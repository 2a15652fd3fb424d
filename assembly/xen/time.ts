// Guest time (xen-pv-abi.md 1.7, design.md "Time"): the virtual TSC counts nanoseconds of system
// time (a 1 GHz TSC), so vcpu_time_info needs writing only once: mul 0x80000000, shift +1 maps TSC
// to ns exactly. Two clocks: deterministic (time = retired instructions x NS_PER_INSTRUCTION plus
// the time skipped while blocked: the same guest gives the same trace on every run) and realtime
// (the host's clock, given at each slice boundary). Invariant: system time never goes backwards.
import { CNT_BASE, CNT_INSTRUCTIONS } from '../layout';

export const NS_PER_INSTRUCTION: u64 = 10; // ~100 MIPS guest: deterministic time roughly tracks wall time
let realtime: bool = false;
let hostNowNs: f64 = 0;
let hostBootNs: f64 = -1;
let skippedNs: u64 = 0;
let lastNs: u64 = 0;

export function setClock(isRealtime: u32, hostNs: f64): void {
  realtime = isRealtime != 0;
  hostNowNs = hostNs;
  if (hostBootNs < 0) hostBootNs = hostNs;
}

export function resetTime(): void {
  realtime = false; hostNowNs = 0; hostBootNs = -1; skippedNs = 0; lastNs = 0;
}

/** Nanoseconds since the domain booted. */
export function systemTimeNs(): u64 {
  let ns: u64;
  if (realtime) ns = hostNowNs > hostBootNs ? <u64>(hostNowNs - hostBootNs) : 0;
  else ns = load<u64>(CNT_BASE + CNT_INSTRUCTIONS) * NS_PER_INSTRUCTION + skippedNs;
  if (ns < lastNs) ns = lastNs;
  lastNs = ns;
  return ns;
}

/** Deterministic clock only: jump forward to `ns` while every vCPU is blocked. */
export function skipTo(ns: u64): void {
  const now = systemTimeNs();
  if (!realtime && ns > now) skippedNs += ns - now;
}

export function readVirtualTsc(): u64 { return systemTimeNs(); }

export function isRealtime(): bool { return realtime; }

/** Writes vcpu_time_info at `host` (32 bytes: version, tsc_timestamp, system_time, mul, shift, flags). */
export function writeVcpuTimeInfo(host: u32): void {
  const version = load<u32>(host) | 1;
  store<u32>(host, version);
  const ns = systemTimeNs();
  store<u64>(host, ns, 8); // tsc_timestamp
  store<u64>(host, ns, 16); // system_time
  store<u32>(host, 0x80000000, 24); // tsc_to_system_mul
  store<i8>(host, 1, 28); // tsc_shift
  store<u8>(host, 1, 29); // flags: XEN_PVCLOCK_TSC_STABLE_BIT
  store<u32>(host, version + 1);
}
