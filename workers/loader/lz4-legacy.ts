// LZ4 "legacy frame" decoder, the format of Linux's CONFIG_KERNEL_LZ4 payloads (`lz4 -l`): magic
// 02 21 4c 18, then blocks of {u32 compressed size, LZ4 block} that each expand to at most 8 MiB,
// optionally followed by Linux's u32 uncompressed-size trailer (lz4 lz4_Frame_format.md "Legacy
// frame", lz4_Block_format.md). No npm package reads the legacy frame (lz4js handles only the
// current frame format), so the block decoder is ours. Every read and write is bounds-checked: a
// corrupt stream throws LoadError naming the block and offset, and never writes outside `dst`.

import { LoadError, hex } from './errors.ts';

export const LZ4_LEGACY_MAGIC = 0x184c2102;
/** Each legacy-frame block decompresses to at most 8 MiB. */
export const LZ4_LEGACY_BLOCK_MAX = 8 << 20;
const MIN_MATCH = 4;

/**
 * Decodes one LZ4 block src[srcStart, srcEnd) into dst starting at dstStart, writing no further
 * than dstEnd. Matches may reach back only into this block's output. Returns the end of the output.
 */
export function decodeLz4Block(
  src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number, dstEnd: number,
): number {
  let sp = srcStart;
  let dp = dstStart;
  const fail = (why: string): never => {
    throw new LoadError(`corrupt LZ4 data at input offset ${hex(sp)}: ${why}`);
  };
  while (sp < srcEnd) {
    const token = src[sp++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (sp >= srcEnd) fail('literal length runs past the end of the block');
        b = src[sp++];
        lit += b;
      } while (b === 255);
    }
    if (lit > srcEnd - sp) fail(`${lit} literals run past the end of the block`);
    if (lit > dstEnd - dp) fail(`${lit} literals overflow the ${hex(dstEnd - dstStart)}-byte block output`);
    dst.set(src.subarray(sp, sp + lit), dp);
    sp += lit;
    dp += lit;
    if (sp === srcEnd) break; // the last sequence has literals only
    if (srcEnd - sp < 2) fail('match offset runs past the end of the block');
    const offset = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    if (offset === 0) fail('match offset 0');
    if (offset > dp - dstStart) fail(`match offset ${offset} reaches before the start of the block output`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (sp >= srcEnd) fail('match length runs past the end of the block');
        b = src[sp++];
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (len > dstEnd - dp) fail(`a ${len}-byte match overflows the ${hex(dstEnd - dstStart)}-byte block output`);
    let from = dp - offset;
    if (offset >= len) {
      dst.copyWithin(dp, from, from + len);
      dp += len;
    } else {
      // Overlapping match: repeats the last `offset` bytes, so copy forwards byte by byte.
      const end = dp + len;
      while (dp < end) dst[dp++] = dst[from++];
    }
  }
  return dp;
}

/** Decompresses a whole legacy frame (or several concatenated); checks Linux's size trailer if present. */
export function decompressLz4Legacy(data: Uint8Array): Uint8Array {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 4 || dv.getUint32(0, true) !== LZ4_LEGACY_MAGIC) {
    throw new LoadError('not an LZ4 legacy frame (expected magic 02 21 4c 18)');
  }
  const chunks: Uint8Array[] = [];
  const scratch = new Uint8Array(LZ4_LEGACY_BLOCK_MAX);
  let total = 0;
  let trailer: number | undefined;
  let pos = 4;
  let block = 0;
  while (pos < data.length) {
    const left = data.length - pos;
    if (left < 4) throw new LoadError(`truncated LZ4 stream: ${left} stray bytes at offset ${hex(pos)}`);
    const n = dv.getUint32(pos, true);
    if (n === LZ4_LEGACY_MAGIC) {
      pos += 4; // another legacy frame follows
      continue;
    }
    if (left === 4) {
      trailer = n; // Linux appends the uncompressed size as a u32
      pos += 4;
      break;
    }
    pos += 4;
    if (n === 0 || n > data.length - pos) {
      throw new LoadError(`truncated LZ4 stream: block ${block} at offset ${hex(pos - 4)} claims ${hex(n)} bytes but ${hex(data.length - pos)} remain`);
    }
    const k = decodeLz4Block(data, pos, pos + n, scratch, 0, scratch.length);
    chunks.push(scratch.slice(0, k));
    total += k;
    pos += n;
    block++;
  }
  if (trailer !== undefined && trailer !== total % 0x1_0000_0000) {
    throw new LoadError(`corrupt LZ4 stream: it expands to ${hex(total)} bytes but its size trailer says ${hex(trailer)}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
