// Specification of bzImage unwrapping and kernel decompression (workers/loader/bzimage.ts,
// decompress.ts, lz4-legacy.ts): a synthetic PV kernel wrapped the way Linux builds its bzImage
// (setup header, compressed payload, u32 size trailer) must come back byte for byte, and broken
// wrappings must fail with a message naming the cause.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../../workers/loader/errors.ts';
import { loadKernelImage } from '../../workers/loader/image.ts';
import { decodeLz4Block, decompressLz4Legacy, LZ4_LEGACY_BLOCK_MAX } from '../../workers/loader/lz4-legacy.ts';
import { makePvKernel } from '../helpers/elf-writer.ts';

// ---- A PV kernel and the ways Linux wraps it ----------------------------------------------------

const kernel = makePvKernel({
  guest: 'pv64', virtBase: 0xffffffff80000000n, paddrStart: 0x1000000n, imageSize: 0x400000, textSize: 0x5000,
});
/** vmlinux.bin as it sits in a bzImage payload: the ELF followed by KASLR relocation data. */
const vmlinuxBin = new Uint8Array(kernel.length + 300);
vmlinuxBin.set(kernel);
for (let i = 0; i < 300; i++) vmlinuxBin[kernel.length + i] = (i * 31) & 0xff;

const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const withSizeTrailer = (data: Uint8Array, size: number) => concat([data, u32le(size)]);

interface BzOptions { setupSects?: number; version?: number; payloadOffset?: number; lengthDelta?: number }
function makeBzImage(payload: Uint8Array, o: BzOptions = {}): Uint8Array {
  const setupSects = o.setupSects ?? 3;
  const payloadOffset = o.payloadOffset ?? 0x1c4;
  const start = ((setupSects || 4) + 1) * 512 + payloadOffset;
  const out = new Uint8Array(start + payload.length + 64);
  const dv = new DataView(out.buffer);
  out[0x1f1] = setupSects;
  out.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
  dv.setUint16(0x206, o.version ?? 0x20f, true);
  dv.setUint32(0x248, payloadOffset, true);
  dv.setUint32(0x24c, payload.length + (o.lengthDelta ?? 0), true);
  out.set(payload, start);
  return out;
}

// ---- LZ4: block encoders and the legacy frame ---------------------------------------------------

/** One LZ4 block holding only literals (valid LZ4: a block may be a single literal run). */
function lz4LiteralsBlock(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const n = src.length;
  if (n < 15) out.push(n << 4);
  else {
    out.push(0xf0);
    let rest = n - 15;
    while (rest >= 255) {
      out.push(255);
      rest -= 255;
    }
    out.push(rest);
  }
  return concat([out, src]);
}

/** A greedy LZ4 block encoder (ours, for tests): 4-byte hash, overlapping matches, last 5 bytes literal. */
function lz4GreedyBlock(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Map<number, number>();
  const len = (v: number) => {
    while (v >= 255) {
      out.push(255);
      v -= 255;
    }
    out.push(v);
  };
  let anchor = 0;
  let i = 0;
  const limit = src.length - 12;
  while (i < limit) {
    const key = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
    const cand = table.get(key);
    table.set(key, i);
    if (cand === undefined || i - cand > 0xffff) {
      i++;
      continue;
    }
    let m = 4;
    while (i + m < src.length - 5 && src[cand + m] === src[i + m]) m++;
    const lit = i - anchor;
    const ml = m - 4;
    out.push((Math.min(lit, 15) << 4) | Math.min(ml, 15));
    if (lit >= 15) len(lit - 15);
    for (let k = anchor; k < i; k++) out.push(src[k]);
    out.push((i - cand) & 0xff, (i - cand) >> 8);
    if (ml >= 15) len(ml - 15);
    i += m;
    anchor = i;
  }
  const lit = src.length - anchor;
  out.push(Math.min(lit, 15) << 4);
  if (lit >= 15) len(lit - 15);
  for (let k = anchor; k < src.length; k++) out.push(src[k]);
  return new Uint8Array(out);
}

/** lz4js's block compressor: an LZ4 implementation independent of ours. */
const lz4js = createRequire(import.meta.url)('lz4js') as {
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  compressBound(n: number): number;
};
function lz4jsBlock(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(lz4js.compressBound(src.length));
  const n = lz4js.compressBlock(src, dst, 0, src.length, new Uint32Array(1 << 16));
  return n > 0 ? dst.slice(0, n) : lz4LiteralsBlock(src);
}

/** The legacy frame: magic, then {u32 size, block} per 8 MiB of input; Linux adds the size trailer. */
function lz4Legacy(data: Uint8Array, block: (b: Uint8Array) => Uint8Array, trailer = true): Uint8Array {
  const parts: (Uint8Array | number[])[] = [[0x02, 0x21, 0x4c, 0x18]];
  for (let at = 0; at < data.length; at += LZ4_LEGACY_BLOCK_MAX) {
    const b = block(data.subarray(at, at + LZ4_LEGACY_BLOCK_MAX));
    parts.push(u32le(b.length), b);
  }
  if (trailer) parts.push(u32le(data.length));
  return concat(parts);
}

// ---- zstd: a frame of raw blocks (RFC 8878 3.1.1) -----------------------------------------------
function zstdRawFrame(data: Uint8Array): Uint8Array {
  const parts: (Uint8Array | number[])[] = [[0x28, 0xb5, 0x2f, 0xfd, 0xa0, ...u32le(data.length)]]; // single segment, 4-byte FCS
  const max = 128 * 1024;
  for (let at = 0; at < data.length; at += max) {
    const chunk = data.subarray(at, at + max);
    const last = at + max >= data.length ? 1 : 0;
    const h = last | (0 << 1) | (chunk.length << 3); // Last_Block, Block_Type 0 (raw), Block_Size
    parts.push([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], chunk);
  }
  return concat(parts);
}

/** Byte-exact comparison that stays fast on megabytes (toEqual walks typed arrays element by element). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(0);
}

function tool(name: string, args: string[], input: Uint8Array): Uint8Array | undefined {
  const r = spawnSync(name, args, { input, maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) return undefined;
  return new Uint8Array(r.stdout);
}
const have = (name: string) => !spawnSync(name, ['--version']).error;

async function loadError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LoadError);
    return (e as Error).message;
  }
  throw new Error('expected a LoadError');
}

describe('bzImage: payloads that unwrap', () => {
  it('unwraps a gzip payload (gzip carries its own size) into the same kernel', async () => {
    const img = await loadKernelImage(makeBzImage(gzipSync(vmlinuxBin)));
    expect(img.format).toBe('bzImage');
    expect(img.compression).toBe('gzip');
    expectSameBytes(img.elf.bytes, vmlinuxBin);
    expect(img.xen.entry).toBe(0xffffffff81000010n);
  });

  it('finds the payload from setup_sects and payload_offset (setup_sects 0 means 4)', async () => {
    const img = await loadKernelImage(makeBzImage(gzipSync(vmlinuxBin), { setupSects: 0, payloadOffset: 0x52cc - 5 * 512 }));
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it('unwraps an LZ4 legacy payload with its size trailer (literals-only blocks)', async () => {
    const img = await loadKernelImage(makeBzImage(lz4Legacy(vmlinuxBin, lz4LiteralsBlock)));
    expect(img.compression).toBe('lz4');
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it('unwraps an LZ4 legacy payload with real matches', async () => {
    const img = await loadKernelImage(makeBzImage(lz4Legacy(vmlinuxBin, lz4GreedyBlock)));
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it.skipIf(!have('lz4'))('unwraps what `lz4 -l` writes', async () => {
    const frame = tool('lz4', ['-l', '-9', '-c'], vmlinuxBin)!;
    const img = await loadKernelImage(makeBzImage(withSizeTrailer(frame, vmlinuxBin.length)));
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it('unwraps a zstd payload with its size trailer', async () => {
    const img = await loadKernelImage(makeBzImage(withSizeTrailer(zstdRawFrame(vmlinuxBin), vmlinuxBin.length)));
    expect(img.compression).toBe('zstd');
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it.skipIf(!have('zstd'))('unwraps what `zstd -19` writes', async () => {
    const z = tool('zstd', ['-19', '-q', '-c'], vmlinuxBin)!;
    const img = await loadKernelImage(makeBzImage(withSizeTrailer(z, vmlinuxBin.length)));
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it.skipIf(!have('xz'))('unwraps an xz payload (LZMA2, CRC32 check) with its size trailer', async () => {
    const x = tool('xz', ['--format=xz', '--check=crc32', '-c'], vmlinuxBin)!;
    const img = await loadKernelImage(makeBzImage(withSizeTrailer(x, vmlinuxBin.length)));
    expect(img.compression).toBe('xz');
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it('takes an uncompressed ELF payload as is', async () => {
    const img = await loadKernelImage(makeBzImage(vmlinuxBin));
    expect(img.compression).toBe('none');
    expectSameBytes(img.elf.bytes, vmlinuxBin);
  });

  it('accepts a whole kernel file compressed with gzip (vmlinux.gz)', async () => {
    const img = await loadKernelImage(gzipSync(kernel));
    expect(img.format).toBe('compressed ELF');
    expectSameBytes(img.elf.bytes, kernel);
  });
});

describe('bzImage: payloads that do not', () => {
  it('refuses a file that is neither ELF, bzImage nor compressed', async () => {
    expect(await loadError(loadKernelImage(new Uint8Array(4096).fill(0x41)))).toBe(
      'not a kernel image: neither an ELF file (bad magic) nor a Linux bzImage ("HdrS" at 0x202) nor a compressed ELF',
    );
  });

  it('refuses a payload that runs past the end of the file', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(gzipSync(vmlinuxBin), { lengthDelta: 0x1000 })))).toMatch(
      /^truncated bzImage: the payload 0x9c4\+0x[0-9a-f]+ lies beyond the end of the file \(size 0x[0-9a-f]+\)$/,
    );
  });

  it('refuses boot protocols older than 2.08', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(gzipSync(vmlinuxBin), { version: 0x206 })))).toBe(
      'bzImage boot protocol 2.06 is too old: the payload fields need 2.08 or later',
    );
  });

  it('refuses a corrupt gzip payload', async () => {
    const gz = gzipSync(vmlinuxBin);
    gz.fill(0xff, 20, 60);
    expect(await loadError(loadKernelImage(makeBzImage(gz)))).toMatch(/^bzImage payload \(gzip\) does not decompress: /);
  });

  it('refuses a payload of unknown format, showing its first bytes', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))))).toBe(
      'bzImage payload at 0x9c4 has an unknown format (starts 01 02 03 04 05 06): not gzip, xz, zstd, LZ4 or ELF',
    );
  });

  it('names compressors it does not read', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(new TextEncoder().encode('BZh91AY&SY....'))))).toBe(
      'bzImage payload is compressed with bzip2: not supported (xenwasm reads gzip, LZ4, xz and zstd kernels)',
    );
  });

  it('refuses a payload that expands to something other than an ELF', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(gzipSync(new Uint8Array(1000)))))).toBe(
      'bzImage payload expands (gzip) to something that is not an ELF file (bad magic)',
    );
  });

  it('refuses an LZ4 payload whose size trailer disagrees', async () => {
    const frame = lz4Legacy(vmlinuxBin, lz4LiteralsBlock, false);
    expect(await loadError(loadKernelImage(makeBzImage(withSizeTrailer(frame, 12345))))).toBe(
      `bzImage payload (LZ4) does not decompress: corrupt LZ4 stream: it expands to 0x${vmlinuxBin.length.toString(16)} bytes but its size trailer says 0x3039`,
    );
  });

  it('refuses a zstd payload whose size trailer disagrees', async () => {
    expect(await loadError(loadKernelImage(makeBzImage(withSizeTrailer(zstdRawFrame(vmlinuxBin), 7))))).toMatch(
      /^bzImage payload \(zstd\) expands to 0x[0-9a-f]+ bytes but its size trailer says 0x7$/,
    );
  });

  it.skipIf(!have('xz'))('explains that xz with the x86 BCJ filter (as Linux builds it) is not supported', async () => {
    const x = tool('xz', ['--format=xz', '--check=crc32', '--x86', '--lzma2=preset=6', '-c'], vmlinuxBin)!;
    expect(await loadError(loadKernelImage(makeBzImage(withSizeTrailer(x, vmlinuxBin.length))))).toMatch(
      /^bzImage payload is xz with the x86 BCJ filter, which the xz-decompress library cannot undo/,
    );
  });
});

describe('LZ4 legacy frames and blocks', () => {
  const repetitive = Uint8Array.from({ length: 50_000 }, (_, i) => (i % 1000 < 600 ? 0x61 : (i * 7) & 0xff));

  it('decodes overlapping matches (a run copied from one byte back)', () => {
    // token: 1 literal + match length 15+4+... ; offset 1 repeats 'z'.
    const block = new Uint8Array([0x1f, 0x7a, 0x01, 0x00, 0x05, 0x50, 0x61, 0x62, 0x63, 0x64, 0x65]);
    const out = new Uint8Array(64);
    const end = decodeLz4Block(block, 0, block.length, out, 0, out.length);
    expect(new TextDecoder().decode(out.subarray(0, end))).toBe('z'.repeat(1 + 15 + 4 + 5) + 'abcde');
  });

  it('round-trips our greedy encoder and lz4js, across the 8 MiB block boundary', () => {
    expectSameBytes(decompressLz4Legacy(lz4Legacy(repetitive, lz4GreedyBlock)), repetitive);
    const big = new Uint8Array(LZ4_LEGACY_BLOCK_MAX + 70_000);
    for (let i = 0; i < big.length; i++) big[i] = (i >> 12) & 1 ? (i * 2654435761) >>> 24 : i & 0x3f;
    const frame = lz4Legacy(big, lz4jsBlock);
    expect(frame.length).toBeLessThan(big.length);
    expectSameBytes(decompressLz4Legacy(frame), big);
  });

  it('accepts a frame without the Linux size trailer', () => {
    expectSameBytes(decompressLz4Legacy(lz4Legacy(repetitive, lz4GreedyBlock, false)), repetitive);
  });

  it('refuses a match reaching before the start of the output', () => {
    const block = new Uint8Array([0x10, 0x41, 0x05, 0x00, 0x10, 0x42]);
    expect(() => decodeLz4Block(block, 0, block.length, new Uint8Array(64), 0, 64)).toThrow(
      'corrupt LZ4 data at input offset 0x4: match offset 5 reaches before the start of the block output',
    );
  });

  it('refuses output beyond the block limit instead of writing past it', () => {
    const block = lz4LiteralsBlock(new Uint8Array(100));
    const out = new Uint8Array(64);
    expect(() => decodeLz4Block(block, 0, block.length, out, 0, 50)).toThrow(/100 literals overflow the 0x32-byte block output/);
  });

  it('refuses a block that claims more bytes than the stream has', () => {
    const frame = lz4Legacy(repetitive, lz4GreedyBlock, false);
    expect(() => decompressLz4Legacy(frame.subarray(0, frame.length - 100))).toThrow(/^truncated LZ4 stream: block 0 at offset 0x4 claims 0x[0-9a-f]+ bytes but 0x[0-9a-f]+ remain$/);
  });
});
