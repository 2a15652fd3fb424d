// The console backend (workers/backends/console.ts) on raw ring memory: struct xencons_interface
// (xen-pv-abi.md 5.1) and the hypervisor console ring at HVC_BASE.
import { describe, expect, it } from 'vitest';
import { ConsoleBackend } from '../../workers/backends/console.ts';
import * as L from '../../workers/layout.gen.ts';
import { FakeCore, RING } from './helpers/fake-core.ts';

const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

describe('draining guest output', () => {
  it('returns null when neither ring holds anything', () => {
    const fake = new FakeCore([]);
    expect(new ConsoleBackend(fake.core).drain()).toBeNull();
  });

  it('reads a PV ring whose data wraps around the end of out[]', () => {
    const fake = new FakeCore([]);
    fake.core.setU32(RING + 3080, 2040); // out_cons
    fake.core.setU32(RING + 3084, 2040); // out_prod
    fake.ringWrite('0123456789abcdef');
    const con = new ConsoleBackend(fake.core);
    expect(text(con.drain())).toBe('0123456789abcdef');
    expect(fake.core.u32(RING + 3080)).toBe(2056);
    expect(con.drain()).toBeNull();
  });

  it('handles free-running indices that wrap past 2^32', () => {
    const fake = new FakeCore([]);
    fake.core.setU32(RING + 3080, 0xfffffffe);
    fake.core.setU32(RING + 3084, 0xfffffffe);
    fake.ringWrite('wrap');
    expect(fake.core.u32(RING + 3084)).toBe(2);
    expect(text(new ConsoleBackend(fake.core).drain())).toBe('wrap');
  });

  it('skips what a producer claims beyond the size of out[] (a protocol violation)', () => {
    const fake = new FakeCore([]);
    fake.core.setU32(RING + 3084, 5000);
    const con = new ConsoleBackend(fake.core);
    expect(con.drain()).toBeNull();
    expect(fake.core.u32(RING + 3080)).toBe(5000);
  });

  it('keeps the newest ring-full of console_io bytes when the host fell behind', () => {
    const fake = new FakeCore([]);
    fake.hvcWrite('lost!');
    fake.hvcWrite('k'.repeat(L.HVC_DATA_SIZE));
    const out = new ConsoleBackend(fake.core).drain()!;
    expect(out.length).toBe(L.HVC_DATA_SIZE);
    expect(text(out)).toBe('k'.repeat(L.HVC_DATA_SIZE));
  });

  it('passes console_io output on while the PV ring is unused', () => {
    const fake = new FakeCore([]);
    const con = new ConsoleBackend(fake.core);
    fake.hvcWrite('early');
    expect(text(con.drain())).toBe('early');
  });

  it('drops console_io output, which duplicates the ring, once the guest wrote to its ring', () => {
    const fake = new FakeCore([]);
    const con = new ConsoleBackend(fake.core);
    fake.hvcWrite('twice\n');
    fake.ringWrite('twice\r\n');
    expect(text(con.drain())).toBe('twice\r\n');
    fake.hvcWrite('again\n');
    expect(con.drain()).toBeNull();
    expect(fake.core.u32(L.HVC_BASE + L.HVC_CONS)).toBe(fake.core.u32(L.HVC_BASE + L.HVC_PROD));
  });

  it('shows console_io output of a domain without a console port', () => {
    const fake = new FakeCore([]);
    fake.core.setU32(L.DOM_BASE + L.DOM_CONSOLE_PORT, 0);
    fake.ringWrite('not a console');
    fake.hvcWrite('hv');
    expect(text(new ConsoleBackend(fake.core).drain())).toBe('hv');
  });
});

describe('feeding guest input', () => {
  it('never lets in_prod run more than 1024 bytes ahead of in_cons', () => {
    const fake = new FakeCore([]);
    const con = new ConsoleBackend(fake.core);
    expect(con.send(new Uint8Array(3000).fill(0x61))).toBe(true);
    expect(fake.core.u32(RING + 3076)).toBe(1024);
    expect(con.pendingInput).toBe(3000 - 1024);
    expect(con.pushInput()).toBe(false); // nothing consumed yet
    fake.ringRead(100);
    expect(con.pushInput()).toBe(true);
    expect(fake.core.u32(RING + 3076)).toBe(1124);
  });

  it('keeps the order of input across several sends', () => {
    const fake = new FakeCore([]);
    const con = new ConsoleBackend(fake.core);
    con.send(new TextEncoder().encode('ab'));
    con.send(new TextEncoder().encode('cd'));
    expect(fake.ringRead()).toBe('abcd');
  });

  it('refuses input for a domain without a PV console', () => {
    const fake = new FakeCore([]);
    fake.core.setU32(L.DOM_BASE + L.DOM_CONSOLE_PORT, 0);
    expect(() => new ConsoleBackend(fake.core).send(new Uint8Array([1]))).toThrow(/no PV console/);
  });
});
