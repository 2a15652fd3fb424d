// Names the host shows in stats and traces: hypercalls (workers/hypercalls.ts, xen-pv-abi.md 2.2),
// exception vectors (Intel SDM vol. 3A table 6-1), and the trace lines of crash reports.
import { describe, expect, it } from 'vitest';
import { hypercallName } from '../../workers/hypercalls.ts';
import { vectorName } from '../../workers/vector-names.ts';
import { formatTraceEntry, memoryPagesFor } from '../../workers/core.ts';
import * as L from '../../workers/layout.gen.ts';

describe('hypercall names', () => {
  it.each([
    [0, 'set_trap_table'], [1, 'mmu_update'], [12, 'memory_op'], [17, 'xen_version'], [18, 'console_io'],
    [23, 'iret'], [24, 'vcpu_op'], [25, 'set_segment_base'], [26, 'mmuext_op'], [29, 'sched_op'],
    [30, 'callback_op'], [32, 'event_channel_op'], [33, 'physdev_op'], [42, 'hypfs_op'], [48, 'mca'], [55, 'arch_7'],
  ])('names hypercall %i %s', (n, name) => {
    expect(hypercallName(n)).toBe(name);
  });

  it('gives numbers without a Xen name a placeholder', () => {
    expect(hypercallName(11)).toBe('hypercall_11');
    expect(hypercallName(45)).toBe('hypercall_45');
    expect(hypercallName(63)).toBe('hypercall_63');
  });
});

describe('exception vector names', () => {
  it.each([[0, '#DE'], [1, '#DB'], [2, 'NMI'], [3, '#BP'], [6, '#UD'], [8, '#DF'], [13, '#GP'], [14, '#PF'], [16, '#MF'], [19, '#XM'], [21, '#CP']])(
    'names vector %i %s', (v, name) => {
      expect(vectorName(v)).toBe(name);
    },
  );

  it('names reserved vectors by number', () => {
    expect(vectorName(9)).toBe('vector 9');
    expect(vectorName(15)).toBe('vector 15');
    expect(vectorName(31)).toBe('vector 31');
  });
});

describe('trace lines', () => {
  it('shows 32-bit rips with 8 hex digits and 64-bit ones with 16', () => {
    expect(formatTraceEntry(0x1000n, L.TRACE_KIND_EVENT, 3, false)).toBe('0x00001000  event      port 3');
    expect(formatTraceEntry(0xffffffff81000000n, L.TRACE_KIND_HYPERCALL, 24, true)).toBe('0xffffffff81000000  hypercall  24 vcpu_op');
  });

  it('shows the first four instruction bytes in memory order when the core recorded them', () => {
    expect(formatTraceEntry(0x10n, L.TRACE_KIND_INSN, 0x00d0010f, false)).toBe('0x00000010  insn       0f 01 d0 00');
    expect(formatTraceEntry(0x10n, L.TRACE_KIND_INSN, 0, false)).toBe('0x00000010  insn');
  });
});

describe('memory sizing', () => {
  it('covers the core regions, the RAM and Xen\'s extra frames, in whole wasm pages', () => {
    // 64 MiB guest: 16 MiB of core regions + 64 MiB + 16 frames, rounded up to 64 KiB pages.
    expect(memoryPagesFor(64 * 256)).toBe((L.GUEST_RAM_BASE + 64 * 2 ** 20) / L.WASM_PAGE + 1);
    expect(memoryPagesFor(0) * L.WASM_PAGE).toBeGreaterThanOrEqual(L.GUEST_RAM_BASE + L.XEN_EXTRA_FRAMES * L.PAGE_SIZE);
  });
});
