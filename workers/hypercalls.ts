// The hypercall table: every number of xen-pv-abi.md 2.2 with its name and its status on each guest
// type, read by the CLI (--stats names), the page (hypercall table with live counts) and
// docs/hypercalls.md (`npm run docs:hypercalls`). test/unit/hypercall-table.test.ts checks every row
// against the core: a row marked 'enosys' must return -ENOSYS, any other row must not.
// Status: 'implemented' = every sub-op a domU may use; 'partial' = some sub-ops (see note); 'enosys'.

export type HypercallStatus = 'implemented' | 'partial' | 'enosys';

export interface HypercallRow {
  nr: number;
  name: string;
  pv32: HypercallStatus;
  pv64: HypercallStatus;
  note?: string;
  /** Arguments for the table test: a call that a handler implementing this number must not answer -ENOSYS. */
  probe?: [number, number, number, number, number];
  /** u32 words the table test writes at guest address 0x100 (paging off) before the probe call. */
  probeMemory?: number[];
}

const I = 'implemented', P = 'partial', N = 'enosys';

// nr  name                                pv32 pv64 note
export const HYPERCALLS: HypercallRow[] = [
  { nr: 0, name: 'set_trap_table', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 1, name: 'mmu_update', pv32: I, pv64: I, note: 'normal, preserve-A/D, machphys; foreigndom DOMID_SELF or DOMID_IO', probe: [0, 0, 0, 0x7ff0, 0] },
  { nr: 2, name: 'set_gdt', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 3, name: 'stack_switch', pv32: I, pv64: I, probe: [0x21, 0x1000, 0, 0, 0] },
  { nr: 4, name: 'set_callbacks', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 5, name: 'fpu_taskswitch', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 6, name: 'sched_op_compat', pv32: P, pv64: P, note: 'yield, block, shutdown', probe: [0, 0, 0, 0, 0] },
  { nr: 7, name: 'platform_op', pv32: N, pv64: N, note: 'privileged (dom0)' },
  { nr: 8, name: 'set_debugreg', pv32: N, pv64: N },
  { nr: 9, name: 'get_debugreg', pv32: N, pv64: N },
  { nr: 10, name: 'update_descriptor', pv32: I, pv64: I, probe: [1, 0, 0, 0, 0] },
  { nr: 11, name: 'hypercall_11', pv32: N, pv64: N, note: 'unused number' },
  { nr: 12, name: 'memory_op', pv32: P, pv64: P, note: 'memory_map, machphys_mapping, current/maximum_reservation, maximum_ram_page, maximum_gpfn, increase/decrease_reservation and populate_physmap within a fixed-size domain', probe: [2, 0, 0, 0, 0] },
  { nr: 13, name: 'multicall', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 14, name: 'update_va_mapping', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 15, name: 'set_timer_op', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 16, name: 'event_channel_op_compat', pv32: P, pv64: P, note: 'as event_channel_op', probe: [0x100, 0, 0, 0, 0], probeMemory: [7, 0, 0, 0] },
  { nr: 17, name: 'xen_version', pv32: I, pv64: I, probe: [0, 0, 0, 0, 0] },
  { nr: 18, name: 'console_io', pv32: I, pv64: I, note: 'write allowed for domUs, as on debug Xen', probe: [0, 0, 0, 0, 0] },
  { nr: 19, name: 'physdev_op_compat', pv32: P, pv64: P, note: 'as physdev_op', probe: [0x100, 0, 0, 0, 0], probeMemory: [6, 1] },
  { nr: 20, name: 'grant_table_op', pv32: P, pv64: P, note: 'v1: setup_table, query_size, set_version, get_version; the host\'s backends map grants directly (workers/backends/grants.ts); map/unmap/copy for guest backends are -ENOSYS', probe: [6, 0, 1, 0, 0] },
  { nr: 21, name: 'vm_assist', pv32: I, pv64: I, probe: [0, 2, 0, 0, 0] },
  { nr: 22, name: 'update_va_mapping_otherdomain', pv32: N, pv64: N, note: 'privileged' },
  { nr: 23, name: 'iret', pv32: I, pv64: I },
  { nr: 24, name: 'vcpu_op', pv32: P, pv64: P, note: 'one vCPU; all but send_nmi, get_physid and the *_phys_area variants', probe: [3, 0, 0, 0, 0] },
  { nr: 25, name: 'set_segment_base', pv32: N, pv64: I, note: 'PV64 only, as on Xen', probe: [0, 0, 0, 0, 0] },
  { nr: 26, name: 'mmuext_op', pv32: I, pv64: I, note: 'every command; FLUSH_CACHE is refused to a domU as on Xen', probe: [0, 0, 0, 0x7ff0, 0] },
  { nr: 27, name: 'xsm_op', pv32: N, pv64: N },
  { nr: 28, name: 'nmi_op', pv32: N, pv64: N },
  { nr: 29, name: 'sched_op', pv32: I, pv64: I, note: 'yield, block, poll, shutdown, shutdown_code, watchdog (2 per domain; expiry shuts the domain down); remote_shutdown and pin_override are privileged (-EPERM)', probe: [0, 0, 0, 0, 0] },
  { nr: 30, name: 'callback_op', pv32: I, pv64: I, probe: [1, 0, 0, 0, 0] },
  { nr: 31, name: 'xenoprof_op', pv32: N, pv64: N, note: 'removed in Xen 4.22' },
  { nr: 32, name: 'event_channel_op', pv32: P, pv64: P, note: '2-level ABI; FIFO answers -ENOSYS (Linux then uses 2-level); bind_interdomain to host backends to come', probe: [4, 0, 0, 0, 0] },
  { nr: 33, name: 'physdev_op', pv32: P, pv64: P, note: 'set_iopl; a domU has no devices', probe: [6, 0, 0, 0, 0] },
  { nr: 34, name: 'hvm_op', pv32: N, pv64: N, note: 'HVM only' },
  { nr: 35, name: 'sysctl', pv32: N, pv64: N, note: 'privileged' },
  { nr: 36, name: 'domctl', pv32: N, pv64: N, note: 'privileged' },
  { nr: 37, name: 'kexec_op', pv32: N, pv64: N },
  { nr: 38, name: 'tmem_op', pv32: N, pv64: N, note: 'removed from Xen' },
  { nr: 39, name: 'argo_op', pv32: N, pv64: N },
  { nr: 40, name: 'xenpmu_op', pv32: N, pv64: N, note: 'Linux prints "HW perf counters not supported"' },
  { nr: 41, name: 'dm_op', pv32: N, pv64: N, note: 'device models (dom0)' },
  { nr: 42, name: 'hypfs_op', pv32: N, pv64: N },
  { nr: 48, name: 'mca', pv32: N, pv64: N },
];

const byNr = new Map(HYPERCALLS.map((r) => [r.nr, r]));

/** The Xen name of hypercall `n` ("xen_version"), or `hypercall_<n>` when Xen has none. */
export function hypercallName(n: number): string {
  return byNr.get(n)?.name ?? (n >= 49 && n <= 55 ? `arch_${n - 48}` : `hypercall_${n}`);
}

export function hypercallRow(n: number): HypercallRow | undefined {
  return byNr.get(n);
}
