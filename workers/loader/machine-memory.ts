// The builder's view of the wasm memory: plain byte offsets (the layout.gen.ts regions) and guest
// machine frames, MFN n at GUEST_RAM_BASE + n * PAGE_SIZE. Little-endian accessors over one
// DataView; callers have checked that every frame they touch lies inside the memory.

import { GUEST_RAM_BASE, PAGE_SIZE } from '../layout.gen.ts';

export class MachineMemory {
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Frames of guest machine memory the wasm memory can hold. */
  get frameCapacity(): number {
    return Math.max(0, Math.floor((this.bytes.length - GUEST_RAM_BASE) / PAGE_SIZE));
  }

  /** Wasm-memory offset of machine address `ma` (MFN << 12 | offset). */
  ma(mfn: number, offset = 0): number {
    return GUEST_RAM_BASE + mfn * PAGE_SIZE + offset;
  }

  frame(mfn: number): Uint8Array {
    const at = this.ma(mfn);
    return this.bytes.subarray(at, at + PAGE_SIZE);
  }

  clearFrames(mfn: number, count: number): void {
    this.bytes.fill(0, this.ma(mfn), this.ma(mfn + count));
  }

  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  u64(at: number, v: bigint | number): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }
}
