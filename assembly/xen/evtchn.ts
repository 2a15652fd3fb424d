// Event channels, 2-level ABI (xen-pv-abi.md 1.7, 2.3 event_channel_op): the port table, every
// event_channel_op command a domU uses (alloc_unbound, bind_interdomain to the host's ports,
// bind_virq, bind_ipi, send, unmask, close, status, bind_vcpu), and the "set pending" rule of the
// 2-level ABI on shared_info, used by sends, timers and the host's sendEvent(). The FIFO ABI
// (init_control, expand_array, set_priority) answers -ENOSYS, which makes Linux use 2-level.
// Invariants: port 0 is never valid; a port's pending bit goes 0->1 at most once per set; the upcall
// flag is raised only if the port is unmasked and its selector bit went 0->1 (Xen's rule).
import { pollNotify } from './sched';
import {
  DOM_BASE, DOM_EVTCHN, EVTCHN_STRIDE, EVTCHN_MAX_PORTS, DOM_HOST_PORTS, DOM_SHARED_INFO_MFN, DOM_VCPU,
  PV_VCPU_INFO_MA, ECS_INTERDOMAIN, ECS_VIRQ, ECS_IPI, ECS_UNBOUND, ECS_FREE, HOST_DOMID, EXIT_HOST_EVENT,
  PV_VIRQ_PORT, DOM_DOMID, PROF_K_EVENT_PENDING,
} from '../layout';
import { profiling, profRecord } from '../debug/profile';
import { frameHost, machineHost } from '../mmu/machine';
import { requestStop } from '../exit';
import { isPv64 } from './domain';
import { guestRead16, guestRead32, guestWrite32, guestFault } from './guest-mem';
import { EINVAL, ENOSYS, EFAULT, ENOSPC, EEXIST, ENOENT, ESRCH, EPERM } from './errno';

export const EVTCHNOP_bind_interdomain: u32 = 0;
export const EVTCHNOP_bind_virq: u32 = 1;
export const EVTCHNOP_close: u32 = 3;
export const EVTCHNOP_send: u32 = 4;
export const EVTCHNOP_status: u32 = 5;
export const EVTCHNOP_alloc_unbound: u32 = 6;
export const EVTCHNOP_bind_ipi: u32 = 7;
export const EVTCHNOP_unmask: u32 = 9;

@inline export function portEntry(port: u32): u32 { return DOM_BASE + DOM_EVTCHN + port * EVTCHN_STRIDE; }
@inline export function portState(port: u32): u32 { return load<u8>(portEntry(port)); }
@inline export function maxPorts(): u32 { return isPv64() ? EVTCHN_MAX_PORTS : 1024; }

/** Host offset of vCPU 0's vcpu_info (the shared_info slot unless the guest registered another). */
@inline export function vcpuInfoHost(): u32 {
  const ma = load<u64>(DOM_BASE + DOM_VCPU + PV_VCPU_INFO_MA);
  if (ma != 0) return machineHost(ma);
  return frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
}

/** The 2-level "set pending" rule on shared_info for `port`, notifying vCPU 0. */
export function setPending(port: u32): void {
  if (profiling()) profRecord(PROF_K_EVENT_PENDING, 0, port);
  const si = frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
  if (si == 0) return;
  const bits: u32 = isPv64() ? 64 : 32;
  const word = port / bits, bit = port % bits;
  const maskBase: u32 = isPv64() ? 2560 : 2176;
  const vi = vcpuInfoHost();
  pollNotify(port);
  if (isPv64()) {
    const p = si + 2048 + word * 8;
    const old = load<u64>(p);
    if ((old & (<u64>1 << bit)) != 0) return;
    store<u64>(p, old | (<u64>1 << bit));
    if ((load<u64>(si + maskBase + word * 8) & (<u64>1 << bit)) != 0) return;
    const sel = load<u64>(vi + 8);
    if ((sel & (<u64>1 << word)) != 0) return;
    store<u64>(vi + 8, sel | (<u64>1 << word));
  } else {
    const p = si + 2048 + word * 4;
    const old = load<u32>(p);
    if ((old & (1 << bit)) != 0) return;
    store<u32>(p, old | (1 << bit));
    if ((load<u32>(si + maskBase + word * 4) & (1 << bit)) != 0) return;
    const sel = load<u32>(vi + 4);
    if ((sel & (1 << word)) != 0) return;
    store<u32>(vi + 4, sel | (1 << word));
  }
  store<u8>(vi, 1); // evtchn_upcall_pending
}

/** EVTCHNOP_send: to the host's backend (ends the slice so the host serves it) or loopback. */
export function evtchnSend(port: u32): i64 {
  if (port == 0 || port >= maxPorts()) return -EINVAL;
  const st = portState(port);
  const e = portEntry(port);
  if (st == ECS_INTERDOMAIN && <u32>load<u16>(e, 2) == load<u32>(DOM_BASE + DOM_DOMID)) {
    setPending(load<u32>(e, 4)); // loopback: the peer is one of our own ports
    return 0;
  }
  if (st == ECS_INTERDOMAIN && <u32>load<u16>(e, 2) == HOST_DOMID) {
    const w = DOM_BASE + DOM_HOST_PORTS + ((port >> 5) << 2);
    if (port < 64) store<u32>(w, load<u32>(w) | (1 << (port & 31)));
    requestStop(EXIT_HOST_EVENT, port);
    return 0;
  }
  if (st == ECS_VIRQ || st == ECS_IPI) { setPending(port); return 0; }
  if (st == ECS_UNBOUND) return 0; // nobody listens yet: Xen drops it silently
  return -EINVAL;
}

export const EVTCHNOP_bind_pirq: u32 = 2;
export const EVTCHNOP_bind_vcpu: u32 = 8;
export const EVTCHNOP_reset: u32 = 10;
export const DOMID_SELF: u32 = 0x7ff0;
export const NR_VIRQS: u32 = 24;
export const VIRQ_TIMER: u32 = 0;

@inline function isSelf(dom: u32): bool { return dom == DOMID_SELF || dom == load<u32>(DOM_BASE + DOM_DOMID); }

function allocPort(): u32 {
  const max = maxPorts();
  for (let p: u32 = 1; p < max; p++) if (portState(p) == ECS_FREE) return p;
  return 0;
}

function setPort(port: u32, state: u32, vcpu: u32, remoteDom: u32, remote: u32): void {
  const e = portEntry(port);
  store<u8>(e, <u8>state);
  store<u8>(e, <u8>vcpu, 1);
  store<u16>(e, <u16>remoteDom, 2);
  store<u32>(e, remote, 4);
  store<u32>(e, 0, 8);
}

/** The port bound to `virq` on vCPU 0, or 0. */
@inline export function virqPort(virq: u32): u32 { return load<u16>(DOM_BASE + DOM_VCPU + PV_VIRQ_PORT + virq * 2); }

/** Raises `virq` if the guest bound it. */
export function sendVirq(virq: u32): void {
  const port = virqPort(virq);
  if (port != 0) setPending(port);
}

/** The 2-level unmask rule: clear the mask bit; if the port is pending, re-raise the upcall. */
export function unmask(port: u32): void {
  const si = frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
  const vi = vcpuInfoHost();
  if (isPv64()) {
    const word = port >> 6, bit = <u64>1 << (port & 63);
    const m = si + 2560 + word * 8;
    store<u64>(m, load<u64>(m) & ~bit);
    if ((load<u64>(si + 2048 + word * 8) & bit) == 0) return;
    const sel = load<u64>(vi + 8);
    if ((sel & (<u64>1 << word)) != 0) return;
    store<u64>(vi + 8, sel | (<u64>1 << word));
  } else {
    const word = port >> 5, bit: u32 = 1 << (port & 31);
    const m = si + 2176 + word * 4;
    store<u32>(m, load<u32>(m) & ~bit);
    if ((load<u32>(si + 2048 + word * 4) & bit) == 0) return;
    const sel = load<u32>(vi + 4);
    if ((sel & (1 << word)) != 0) return;
    store<u32>(vi + 4, sel | (1 << word));
  }
  store<u8>(vi, 1);
}

function close(port: u32): i64 {
  if (port == 0 || port >= maxPorts()) return -EINVAL;
  const st = portState(port);
  if (st == ECS_FREE) return -EINVAL;
  if (st == ECS_VIRQ) {
    const virq = load<u32>(portEntry(port), 4);
    if (virq < NR_VIRQS && virqPort(virq) == port) store<u16>(DOM_BASE + DOM_VCPU + PV_VIRQ_PORT + virq * 2, 0);
  }
  if (st == ECS_INTERDOMAIN && <u32>load<u16>(portEntry(port), 2) == load<u32>(DOM_BASE + DOM_DOMID)) {
    const peer = load<u32>(portEntry(port), 4);
    if (peer < maxPorts() && portState(peer) == ECS_INTERDOMAIN) setPort(peer, ECS_UNBOUND, 0, load<u32>(DOM_BASE + DOM_DOMID), 0);
  }
  setPort(port, ECS_FREE, 0, 0, 0);
  return 0;
}

/** Offset of the union inside the compat evtchn_op struct: u64 alignment differs between ABIs. */
@inline export function compatUnionOffset(): u64 { return isPv64() ? 8 : 4; }

export function doEventChannelOp(cmd: u64, arg: u64): i64 {
  switch (<u32>cmd) {
    case EVTCHNOP_alloc_unbound: {
      const dom = guestRead16(arg), remote = guestRead16(arg + 2);
      if (guestFault) return -EFAULT;
      if (!isSelf(dom)) return -EPERM;
      const port = allocPort();
      if (port == 0) return -ENOSPC;
      setPort(port, ECS_UNBOUND, 0, remote == DOMID_SELF ? load<u32>(DOM_BASE + DOM_DOMID) : remote, 0);
      if (!guestWrite32(arg + 4, port)) { setPort(port, ECS_FREE, 0, 0, 0); return -EFAULT; }
      return 0;
    }
    case EVTCHNOP_bind_interdomain: {
      const remoteDom = guestRead16(arg), remotePort = guestRead32(arg + 4);
      if (guestFault) return -EFAULT;
      if (isSelf(remoteDom)) {
        // Loopback (Xen allows it): connect to one of our own unbound ports that waits for us.
        if (remotePort == 0 || remotePort >= maxPorts() || portState(remotePort) != ECS_UNBOUND) return -EINVAL;
        const self = load<u32>(DOM_BASE + DOM_DOMID);
        const waitsFor = <u32>load<u16>(portEntry(remotePort), 2);
        if (waitsFor != self && waitsFor != DOMID_SELF) return -EINVAL;
        const port = allocPort();
        if (port == 0) return -ENOSPC;
        if (!guestWrite32(arg + 8, port)) return -EFAULT;
        setPort(port, ECS_INTERDOMAIN, 0, self, remotePort);
        setPort(remotePort, ECS_INTERDOMAIN, 0, self, port);
        setPending(port); // Xen marks the new local port pending
        return 0;
      }
      // Other peers are the host's backends; the host offers no unbound ports to bind yet.
      if (remoteDom != HOST_DOMID) return -ESRCH;
      return -EINVAL;
    }
    case EVTCHNOP_bind_virq: {
      const virq = guestRead32(arg), vcpu = guestRead32(arg + 4);
      if (guestFault) return -EFAULT;
      if (virq >= NR_VIRQS) return -EINVAL;
      if (vcpu != 0) return -ENOENT;
      if (virqPort(virq) != 0) return -EEXIST;
      const port = allocPort();
      if (port == 0) return -ENOSPC;
      if (!guestWrite32(arg + 8, port)) return -EFAULT;
      setPort(port, ECS_VIRQ, vcpu, 0, virq);
      store<u16>(DOM_BASE + DOM_VCPU + PV_VIRQ_PORT + virq * 2, <u16>port);
      return 0;
    }
    case EVTCHNOP_bind_ipi: {
      const vcpu = guestRead32(arg);
      if (guestFault) return -EFAULT;
      if (vcpu != 0) return -ENOENT;
      const port = allocPort();
      if (port == 0) return -ENOSPC;
      if (!guestWrite32(arg + 4, port)) return -EFAULT;
      setPort(port, ECS_IPI, vcpu, 0, 0);
      return 0;
    }
    case EVTCHNOP_close: {
      const port = guestRead32(arg);
      if (guestFault) return -EFAULT;
      return close(port);
    }
    case EVTCHNOP_send: {
      const port = guestRead32(arg);
      if (guestFault) return -EFAULT;
      return evtchnSend(port);
    }
    case EVTCHNOP_status: {
      const dom = guestRead16(arg), port = guestRead32(arg + 4);
      if (guestFault) return -EFAULT;
      if (!isSelf(dom)) return -ESRCH;
      if (port >= maxPorts()) return -EINVAL;
      const e = portEntry(port);
      const st = portState(port);
      let u0: u32 = 0, u1: u32 = 0;
      if (st == ECS_UNBOUND) u0 = <u32>load<u16>(e, 2);
      else if (st == ECS_INTERDOMAIN) { u0 = <u32>load<u16>(e, 2); u1 = load<u32>(e, 4); }
      else if (st == ECS_VIRQ) u0 = load<u32>(e, 4);
      if (!guestWrite32(arg + 8, st) || !guestWrite32(arg + 12, <u32>load<u8>(e, 1)) ||
          !guestWrite32(arg + 16, u0) || !guestWrite32(arg + 20, u1)) return -EFAULT;
      return 0;
    }
    case EVTCHNOP_unmask: {
      const port = guestRead32(arg);
      if (guestFault) return -EFAULT;
      if (port >= maxPorts()) return -EINVAL;
      unmask(port);
      return 0;
    }
    case EVTCHNOP_bind_vcpu: {
      const port = guestRead32(arg), vcpu = guestRead32(arg + 4);
      if (guestFault) return -EFAULT;
      if (port == 0 || port >= maxPorts() || portState(port) == ECS_FREE) return -EINVAL;
      return vcpu == 0 ? 0 : -ENOENT;
    }
    case EVTCHNOP_bind_pirq: return -EPERM; // needs I/O privilege
    default: return -ENOSYS; // reset and the FIFO ABI (init_control, expand_array, set_priority)
  }
}

/** event_channel_op_compat (16): {u32 cmd; union} in one struct. */
export function doEventChannelOpCompat(arg: u64): i64 {
  const cmd = guestRead32(arg);
  if (guestFault) return -EFAULT;
  return doEventChannelOp(<u64>cmd, arg + compatUnionOffset());
}

/** True if `port`'s pending bit is set in shared_info. */
export function portPending(port: u32): bool {
  if (port == 0 || port >= maxPorts()) return false;
  const si = frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
  if (isPv64()) return (load<u64>(si + 2048 + (port >> 6) * 8) & (<u64>1 << (port & 63))) != 0;
  return (load<u32>(si + 2048 + (port >> 5) * 4) & (1 << (port & 31))) != 0;
}
