// The memory map has one source (assembly/layout.ts) and one generated TypeScript mirror
// (workers/layout.gen.ts). These tests fail when the mirror is stale or the map is inconsistent.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseLayout, render } from '../../scripts/gen-layout.mjs';
import * as L from '../../workers/layout.gen.ts';

const source = readFileSync(new URL('../../assembly/layout.ts', import.meta.url), 'utf8');
const entries = parseLayout(source);

describe('memory map', () => {
  it('workers/layout.gen.ts is exactly what the generator makes from assembly/layout.ts', () => {
    const committed = readFileSync(new URL('../../workers/layout.gen.ts', import.meta.url), 'utf8');
    expect(committed).toBe(render(entries));
  });

  it('every constant of the mirror has the value of the source', () => {
    for (const { name, value } of entries) expect((L as Record<string, number>)[name], name).toBe(value);
  });

  it('regions are page-aligned, ordered without overlap, and lie below guest RAM', () => {
    const regions: [string, number, number][] = [
      ['CPU', L.CPU_BASE, L.VCPU_STRIDE * L.MAX_VCPUS],
      ['DOM', L.DOM_BASE, L.DOM_SIZE],
      ['CNT', L.CNT_BASE, L.CNT_SIZE],
      ['EXIT', L.EXIT_BASE, L.EXIT_SIZE],
      ['HVC', L.HVC_BASE, L.HVC_SIZE],
      ['TRACE', L.TRACE_BASE, L.TRACE_SIZE],
      ['TLB', L.TLB_BASE, L.TLB_SIZE],
      ['FRAME_TYPE', L.FRAME_TYPE_BASE, L.FRAME_TYPE_SIZE],
      ['PROF', L.PROF_BASE, L.PROF_SIZE],
      ['M2P', L.M2P_BASE, L.M2P_SIZE],
      ['DCACHE', L.DCACHE_BASE, L.DCACHE_SIZE],
    ];
    let end = L.AS_RESERVED_SIZE;
    for (const [name, base, size] of regions) {
      expect(base % L.PAGE_SIZE, `${name} alignment`).toBe(0);
      expect(base, `${name} starts after the previous region`).toBeGreaterThanOrEqual(end);
      end = base + size;
    }
    expect(end).toBeLessThanOrEqual(L.GUEST_RAM_BASE);
  });

  it('fixed-format records fit their regions', () => {
    expect(L.CPU_STATE_END).toBeLessThanOrEqual(L.VCPU_STRIDE);
    expect(L.DOM_VCPU + L.VCPU_PV_STRIDE * L.MAX_VCPUS).toBeLessThanOrEqual(L.DOM_TRAPS);
    expect(L.DOM_TRAPS + 256 * L.TRAP_STRIDE).toBeLessThanOrEqual(L.DOM_GDT_MFNS);
    expect(L.DOM_EVTCHN + L.EVTCHN_MAX_PORTS * L.EVTCHN_STRIDE).toBeLessThanOrEqual(L.DOM_SIZE);
    expect(L.CNT_EXCEPTION + 32 * 8).toBeLessThanOrEqual(L.CNT_SIZE);
    expect(L.CNT_HYPERCALL + L.CNT_HYPERCALL_MAX * 8).toBeLessThanOrEqual(L.CNT_EXCEPTION);
    expect(L.EXIT_MSG + L.EXIT_MSG_MAX).toBeLessThanOrEqual(L.EXIT_SIZE);
    expect(L.HVC_DATA + L.HVC_DATA_SIZE).toBeLessThanOrEqual(L.HVC_SIZE);
    expect(L.TRACE_ENTRIES + L.TRACE_COUNT * L.TRACE_ENTRY_SIZE).toBeLessThanOrEqual(L.TRACE_SIZE);
    expect(L.MAX_FRAMES * L.FRAME_INFO_SIZE).toBeLessThanOrEqual(L.FRAME_TYPE_SIZE);
    expect(L.PROF_RECORDS + L.PROF_CAPACITY * L.PROF_RECORD_SIZE).toBeLessThanOrEqual(L.PROF_SIZE); // profiler buffer
    expect(L.PROF_CAPACITY - L.PROF_HIGH_WATER).toBeGreaterThanOrEqual(64); // room for one instruction's records
    expect(L.MAX_FRAMES * 8).toBeLessThanOrEqual(L.M2P_SIZE);
    expect(16384 * 32 + L.MAX_FRAMES / 8).toBeLessThanOrEqual(L.DCACHE_SIZE); // decode-cache table + code-frame bitmap
  });

  it('the per-vCPU PV fields do not overlap', () => {
    const names = entries.filter((e) => e.name.startsWith('PV_')).sort((a, b) => a.value - b.value);
    for (let i = 1; i < names.length; i++) expect(names[i].value, names[i].name).toBeGreaterThan(names[i - 1].value);
    expect(names[names.length - 1].value).toBeLessThan(L.VCPU_PV_STRIDE);
  });
});
