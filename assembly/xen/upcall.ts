// Event upcall delivery (xen-pv-abi.md 3.6): checked on every return to the guest (after hypercalls,
// exception deliveries, at the start of each slice). Condition: vcpu_info.evtchn_upcall_pending != 0
// and evtchn_upcall_mask == 0. Action: a bounce frame to the event callback, masking events.
// Xen never clears upcall_pending itself; the guest does.
import {
  PV_EVENT_CS, PV_EVENT_IP, CNT_BASE, CNT_EVENTS_DELIVERED, PROF_K_DELIVER_BEGIN, PROF_K_DELIVER_END, PROF_D_EVENT,
  PROF_OUT_BOUNCED, PROF_OUT_FAILED,
} from '../layout';
import { profiling, profRecord } from '../debug/profile';
import { getRip } from '../cpu/state';
import { vcpuInfoHost } from './evtchn';
import { pvGet32, pvGet64 } from './vcpu';
import { bounce, NO_ERROR_CODE, traceDelivery } from './bounce';

@inline export function eventDeliverable(): bool {
  const vi = vcpuInfoHost();
  return load<u8>(vi) != 0 && load<u8>(vi + 1) == 0;
}

/** Delivers the event upcall if one is deliverable and a callback is registered. Inlined where the
 *  hypervisor returns to the guest: usually nothing is pending, and that costs two loads. */
@inline export function checkEvents(): void {
  if (eventDeliverable()) deliverEvent();
}

function deliverEvent(): void {
  const ip = pvGet64(PV_EVENT_IP);
  if (ip == 0) return;
  traceDelivery(getRip(), 0xffff);
  const prof = profiling();
  if (prof) profRecord(PROF_K_DELIVER_BEGIN, PROF_D_EVENT, 0);
  const ok = bounce(pvGet32(PV_EVENT_CS), ip, NO_ERROR_CODE, getRip(), true, false, 'an event upcall');
  if (ok) store<u64>(CNT_BASE + CNT_EVENTS_DELIVERED, load<u64>(CNT_BASE + CNT_EVENTS_DELIVERED) + 1);
  if (prof) profRecord(PROF_K_DELIVER_END, PROF_D_EVENT, ok ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}
