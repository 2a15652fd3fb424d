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

  it('regions (every X_BASE with an X_SIZE, and the vCPU area) are page-aligned, do not overlap, and lie below guest RAM', () => {
    const values = L as unknown as Record<string, number>;
    const regions: [string, number, number][] = [['CPU', L.CPU_BASE, L.VCPU_STRIDE * L.MAX_VCPUS]];
    for (const { name } of entries) {
      const m = /^(\w+)_BASE$/.exec(name);
      // Field offsets inside a record (SEG_BASE...) are small; regions start above the static data.
      if (m && m[1] !== 'CPU' && name !== 'GUEST_RAM_BASE' && values[name] >= L.AS_RESERVED_SIZE) {
        expect(values[`${m[1]}_SIZE`], `${m[1]}_SIZE for ${name}`).toBeTypeOf('number');
        regions.push([m[1], values[name], values[`${m[1]}_SIZE`]]);
      }
    }
    expect(regions.length).toBeGreaterThanOrEqual(17);
    regions.sort((a, b) => a[1] - b[1]);
    let end = L.AS_RESERVED_SIZE;
    let prev = 'AssemblyScript static data';
    for (const [name, base, size] of regions) {
      expect(base % L.PAGE_SIZE, `${name} alignment`).toBe(0);
      expect(base, `${name} starts after ${prev}`).toBeGreaterThanOrEqual(end);
      end = base + size;
      prev = name;
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
    expect(L.SHADOW_SLOTS * L.SHADOW_SLOT_BYTES).toBeLessThanOrEqual(L.SHADOW_SIZE);
    expect(L.SHADOW_SLOTS * L.SHADOW_META_STRIDE).toBeLessThanOrEqual(L.SHADOW_META_SIZE);
    expect(L.SHADOW_SLOTS).toBeLessThanOrEqual(2047); // the TLB tag has 11 bits for slot + 1
    expect(L.RMAP_ENTRIES * 16).toBeLessThanOrEqual(L.RMAP_SIZE);
    expect(L.MAX_FRAMES / 8).toBeLessThanOrEqual(L.DIRTY_SIZE);
    expect(L.AUDIT_RECORDS + L.AUDIT_MAX * L.AUDIT_RECORD_SIZE).toBeLessThanOrEqual(L.AUDIT_SIZE);
  });

  it('the per-vCPU PV fields do not overlap', () => {
    const names = entries.filter((e) => e.name.startsWith('PV_')).sort((a, b) => a.value - b.value);
    for (let i = 1; i < names.length; i++) expect(names[i].value, names[i].name).toBeGreaterThan(names[i - 1].value);
    expect(names[names.length - 1].value).toBeLessThan(L.VCPU_PV_STRIDE);
  });
});
