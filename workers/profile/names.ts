// Readable names for the profiler's records: hypercalls with their sub-op ("event_channel_op/send",
// "mmuext_op/pin_l4_table", "sched_op/block"), and deliveries ("#PF", "upcall", "syscall"). The
// sub-op numbers are Xen's (xen-pv-abi.md 2.3, public/*.h); assembly/xen/hypercall-subop.ts says
// which argument holds each. A number without a name shows as the number ("sched_op/42").
import { hypercallName } from '../hypercalls.ts';
import { vectorName } from '../vector-names.ts';
import * as L from '../layout.gen.ts';

/** Sub-op names by hypercall number, index = command number ('' = no such command). */
const SUBOPS: Record<number, string[]> = {
  6: ['yield', 'block', 'shutdown'], // sched_op_compat
  12: [ // memory_op
    'increase_reservation', 'decrease_reservation', 'maximum_ram_page', 'current_reservation',
    'maximum_reservation', 'machphys_mfn_list', 'populate_physmap', 'add_to_physmap', '', 'memory_map',
    'machine_memory_map', 'exchange', 'machphys_mapping', '', 'maximum_gpfn',
  ],
  17: [ // xen_version
    'version', 'extraversion', 'compile_info', 'capabilities', 'changeset', 'platform_parameters',
    'get_features', 'pagesize', 'guest_handle', 'commandline', 'build_id', 'extraversion2', 'capabilities2',
    'changeset2', 'commandline2',
  ],
  18: ['write', 'read'], // console_io
  20: [ // grant_table_op
    'map_grant_ref', 'unmap_grant_ref', 'setup_table', 'dump_table', 'transfer', 'copy', 'query_size',
    'unmap_and_replace', 'set_version', 'get_status_frames', 'get_version', 'swap_grant_ref', 'cache_flush',
  ],
  21: ['enable', 'disable'], // vm_assist
  24: [ // vcpu_op
    'initialise', 'up', 'down', 'is_up', 'get_runstate_info', 'register_runstate_memory_area',
    'set_periodic_timer', 'stop_periodic_timer', 'set_singleshot_timer', 'stop_singleshot_timer',
    'register_vcpu_info', 'send_nmi', 'get_physid', 'register_vcpu_time_memory_area',
    'register_runstate_phys_area', 'register_vcpu_time_phys_area',
  ],
  25: ['fs', 'gs_user', 'gs_kernel', 'gs_user_sel'], // set_segment_base
  26: [ // mmuext_op
    'pin_l1_table', 'pin_l2_table', 'pin_l3_table', 'pin_l4_table', 'unpin_table', 'new_baseptr',
    'tlb_flush_local', 'invlpg_local', 'tlb_flush_multi', 'invlpg_multi', 'tlb_flush_all', 'invlpg_all',
    'flush_cache', 'set_ldt', '', 'new_user_baseptr', 'clear_page', 'copy_page', 'flush_cache_global',
    'mark_super', 'unmark_super',
  ],
  29: [ // sched_op
    'yield', 'block', 'shutdown', 'poll', 'remote_shutdown', 'shutdown_code', 'watchdog', 'pin_override',
  ],
  30: ['register', 'unregister'], // callback_op
  32: [ // event_channel_op
    'bind_interdomain', 'bind_virq', 'bind_pirq', 'close', 'send', 'status', 'alloc_unbound', 'bind_ipi',
    'bind_vcpu', 'unmask', 'reset', 'init_control', 'expand_array', 'set_priority',
  ],
  33: [ // physdev_op
    '', '', '', '', '', 'irq_status_query', 'set_iopl', 'set_iobitmap', '', '', '', '', 'eoi', 'map_pirq',
    'unmap_pirq', 'manage_pci_add', 'manage_pci_remove', 'pirq_eoi_gmfn_v1', '', '', 'manage_pci_add_ext',
    'setup_gsi', '', 'get_free_pirq', '', 'pci_device_add', '', '', 'pirq_eoi_gmfn_v2',
  ],
};
SUBOPS[16] = SUBOPS[32]; // event_channel_op_compat
SUBOPS[19] = SUBOPS[33]; // physdev_op_compat

/** The name of sub-op `sub` of hypercall `nr` ("send"), or its number when Xen has no name for it. */
export function subopName(nr: number, sub: number): string {
  return SUBOPS[nr]?.[sub] || String(sub >>> 0);
}

/**
 * The profile name of a hypercall record: "xen_version/version", "mmu_update", or for numbers at
 * 0xfffe and above (the core folds them into 0xffff) "hypercall_65535+".
 */
export function hypercallLabel(nr: number, sub: number | undefined): string {
  const base = nr === 0xffff ? 'hypercall_65535+' : hypercallName(nr);
  return sub === undefined ? base : `${base}/${subopName(nr, sub)}`;
}

/** What a delivery record (PROF_D_*, b) delivers: "#PF", "int $0x80", "int3", "syscall", "upcall". */
export function deliveryLabel(kind: number, b: number): string {
  switch (kind) {
    case L.PROF_D_FAULT:
      return vectorName(b);
    case L.PROF_D_SOFTINT:
      return b === 3 ? 'int3' : b === 4 ? 'into' : b === 1 ? 'int1' : `int $0x${b.toString(16)}`;
    case L.PROF_D_SYSCALL:
      return b === 1 ? 'sysenter' : 'syscall';
    case L.PROF_D_EVENT:
      return 'upcall';
    case L.PROF_D_FAILSAFE:
      return 'failsafe';
    default:
      return `delivery ${kind}`;
  }
}

/** The cost-accounting row of a finished delivery: "bounce #PF", "emulate #PF", "#PF not delivered". */
export function deliveryRowName(what: string, outcome: number): string {
  if (outcome === L.PROF_OUT_BOUNCED) return `bounce ${what}`;
  if (outcome === L.PROF_OUT_EMULATED) return `emulate ${what}`;
  return `${what} not delivered`;
}

export const OUTCOME_NAMES: Record<number, string> = {
  [L.PROF_OUT_BOUNCED]: 'bounced to the guest',
  [L.PROF_OUT_EMULATED]: 'emulated by Xen',
  [L.PROF_OUT_FAILED]: 'not delivered',
};
