// A small seeded PRNG (sfc32, seeded through splitmix32) and the value distributions the
// generators draw from. Same seed => same vectors on every machine and Node version.
// Invariant: only integer arithmetic (Math.imul, >>> 0), no Math.random.

export class Rng {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {                       // splitmix32
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor((this.u32() / 0x100000000) * n); }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  /** Picks from [weight, value] pairs. */
  weighted<T>(xs: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of xs) total += w;
    let r = (this.u32() / 0x100000000) * total;
    for (const [w, v] of xs) { if ((r -= w) < 0) return v; }
    return xs[xs.length - 1][1];
  }
  bytes(n: number): number[] { return Array.from({ length: n }, () => this.int(256)); }
}

/** Values at sign and width boundaries: where ALU flag bugs live. */
export const EDGE32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0xffffff80, 0xffff8000, 0x0000ff00] as const;

/** A 32-bit register value: edges, small and small negative numbers, or anything. */
export function value32(r: Rng): number {
  return r.weighted<() => number>([
    [25, () => r.pick(EDGE32)],
    [15, () => r.int(256)],
    [8, () => (-1 - r.int(256)) >>> 0],
    [52, () => r.u32()],
  ])();
}

/** A value of `bits` (8, 16, 32) with the same bias, zero-extended. */
export function valueN(r: Rng, bits: number): number {
  const v = value32(r);
  if (bits === 32) return v;
  if (r.chance(0.3)) {
    const half = 1 << (bits - 1);
    return r.pick([0, 1, half - 1, half, half + 1, 2 * half - 1, 2 * half - 2]);
  }
  return v & ((1 << bits) - 1);
}
