// Switches for the interpreter's optimisations and vendor choices (design.md: every optimisation can
// be turned off by one switch, so a wrong result can be bisected). The optimisation switches are
// run-time globals (the host may flip them through the lead's exports); vendor choices are constants.
// Invariant: with every switch off the interpreter still runs every instruction correctly, only slower.
import { invalidateFetchCache } from './decode';
import { invalidateAll as invalidateDecodeCache } from './decode-cache';

/** Fetch instruction bytes through a cached host pointer to the current code page (cpu/decode.ts). */
export let optCodePageCache: bool = true;
/** Bulk page-at-a-time REP MOVS/STOS when the direction flag is clear (cpu/string.ts). */
export let optFastRepString: bool = true;
/** Pre-decoded instructions keyed by machine address (cpu/decode-cache.ts, predecode.ts, fast-ops.ts). */
export let optDecodeCache: bool = true;
/** Runs of decoded instructions without per-instruction bookkeeping (interp.ts runDecoded); off: runs of one. */
export let optDecodedRuns: bool = true;

export function setOptCodePageCache(on: bool): void {
  optCodePageCache = on;
  invalidateFetchCache(); // drop the page already cached, so "off" takes effect at the next instruction
}
export function setOptFastRepString(on: bool): void { optFastRepString = on; }
export function setOptDecodedRuns(on: bool): void { optDecodedRuns = on; }
export function setOptDecodeCache(on: bool): void {
  optDecodeCache = on;
  invalidateDecodeCache(); // entries made before "off" must not survive to the next "on"
}

/**
 * Vendor behaviour where Intel and AMD differ. The reference CPU of the test vectors is the AMD EPYC
 * of the development machines (test-vectors.md), so AMD choices are the default.
 * - AMD: an operand-size (66h) prefix on a near JMP/CALL/RET/Jcc in 64-bit mode gives a 16-bit target
 *   (IP truncated); Intel ignores the prefix there (64-bit operand size).
 * - AMD: REX.W on LSS/LFS/LGS and on far JMP/CALL through memory still reads an m16:32 pointer (a far
 *   CALL then pushes 8-byte CS and RIP); Intel reads m16:64.
 * - AMD: MOVSXD with a 66h prefix reads 32 bits and writes the low 16; Intel reads 16 (SDM MOVSXD r16, r/m16).
 */
export const VENDOR_AMD: bool = true;

/** Iterations of a REP string instruction done before the loop yields (RIP stays on it, restartable). */
export const REP_CHUNK: u32 = 1 << 16;
