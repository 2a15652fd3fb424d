// Kernel decompression: recognises a compressor by its magic bytes (the list of xen-pv-abi.md 1.1)
// and expands gzip (fflate), LZ4 legacy frames (lz4-legacy.ts), xz (xz-decompress, without BCJ
// filters) and zstd (fzstd). Linux appends the uncompressed size as a u32 to xz/zstd/lz4/lzma
// payloads (gzip carries it as ISIZE): with `sizeTrailer` it is stripped and checked. Formats we
// cannot expand (lzma, bzip2, lzo, xz with the x86 BCJ filter) fail with a LoadError saying so.

import { gunzipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { LoadError, hex } from './errors.ts';
import { decompressLz4Legacy } from './lz4-legacy.ts';

export type Compression = 'gzip' | 'lz4' | 'xz' | 'zstd' | 'lzma' | 'bzip2' | 'lzo' | 'lz4-frame';

const MAGICS: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['lz4-frame', [0x04, 0x22, 0x4d, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lzma', [0x5d, 0x00, 0x00]],
];

export function detectCompression(b: Uint8Array): Compression | undefined {
  for (const [name, magic] of MAGICS) {
    if (b.length >= magic.length && magic.every((x, i) => b[i] === x)) return name;
  }
  return undefined;
}

export interface DecompressOptions {
  /** The data ends with Linux's u32 uncompressed-size trailer (bzImage payloads). */
  sizeTrailer: boolean;
  /** What is being expanded, for messages ("bzImage payload", "kernel file"). */
  what: string;
}

const XZ_ERRORS: Record<number, string> = {
  2: 'unsupported integrity check', 3: 'out of memory', 4: 'memory limit reached',
  5: 'not an xz stream', 6: 'unsupported xz options or filter', 7: 'corrupt data', 8: 'truncated or corrupt data',
};

/** The filter IDs of the first xz block header (xz file-format.txt 3.1), for a precise error. */
function xzFilterIds(b: Uint8Array): number[] {
  const readVli = (at: { p: number }): number => {
    let v = 0;
    for (let i = 0; i < 9 && at.p < b.length; i++) {
      const x = b[at.p++];
      v += (x & 0x7f) * 2 ** (7 * i);
      if ((x & 0x80) === 0) break;
    }
    return v;
  };
  const at = { p: 12 + 1 }; // stream header, block header size byte
  if (b.length < at.p + 1 || b[12] === 0) return [];
  const flags = b[at.p++];
  if (flags & 0x40) readVli(at);
  if (flags & 0x80) readVli(at);
  const ids: number[] = [];
  for (let i = 0; i <= (flags & 3); i++) {
    ids.push(readVli(at));
    const propSize = readVli(at);
    at.p += propSize;
  }
  return ids;
}

async function xzDecompress(data: Uint8Array, what: string): Promise<Uint8Array> {
  const filters = xzFilterIds(data);
  if (filters.includes(0x04)) {
    throw new LoadError(
      `${what} is xz with the x86 BCJ filter, which the xz-decompress library cannot undo: use a gzip, LZ4 or zstd kernel, or extract the ELF first (scripts/extract-vmlinux)`,
    );
  }
  const mod = (await import('xz-decompress')) as unknown as {
    XzReadableStream?: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
    default?: { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
  };
  const Xz = mod.XzReadableStream ?? mod.default?.XzReadableStream;
  if (!Xz) throw new LoadError('the xz-decompress library did not load');
  const input = new Blob([data as Uint8Array<ArrayBuffer>]).stream();
  try {
    return new Uint8Array(await new Response(new Xz(input)).arrayBuffer());
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const code = /error code (\d+)/.exec(msg);
    throw new LoadError(`${what} (xz) does not decompress: ${code ? XZ_ERRORS[Number(code[1])] ?? msg : msg}`);
  }
}

/** Expands `data` compressed with `kind`. Throws LoadError naming the format and the cause. */
export async function decompress(data: Uint8Array, kind: Compression, opts: DecompressOptions): Promise<Uint8Array> {
  const { what } = opts;
  let body = data;
  let expected: number | undefined;
  if (opts.sizeTrailer && (kind === 'xz' || kind === 'zstd')) {
    if (data.length < 8) throw new LoadError(`${what} (${kind}) is truncated: only ${data.length} bytes`);
    expected = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(0, true);
    body = data.subarray(0, data.length - 4);
  }
  let out: Uint8Array;
  switch (kind) {
    case 'gzip':
      try {
        out = gunzipSync(data);
      } catch (e) {
        throw new LoadError(`${what} (gzip) does not decompress: ${e instanceof Error ? e.message : String(e)}`);
      }
      break;
    case 'lz4':
      try {
        out = decompressLz4Legacy(data);
      } catch (e) {
        throw new LoadError(`${what} (LZ4) does not decompress: ${e instanceof Error ? e.message : String(e)}`);
      }
      break;
    case 'zstd':
      try {
        out = zstdDecompress(body);
      } catch (e) {
        throw new LoadError(`${what} (zstd) does not decompress: ${e instanceof Error ? e.message : String(e)}`);
      }
      break;
    case 'xz':
      out = await xzDecompress(body, what);
      break;
    case 'lz4-frame':
      throw new LoadError(`${what} is an LZ4 frame (04 22 4d 18): only the legacy LZ4 format Linux uses (lz4 -l) is supported`);
    default:
      throw new LoadError(`${what} is compressed with ${kind}: not supported (xenwasm reads gzip, LZ4, xz and zstd kernels)`);
  }
  if (expected !== undefined && out.length % 0x1_0000_0000 !== expected) {
    throw new LoadError(`${what} (${kind}) expands to ${hex(out.length)} bytes but its size trailer says ${hex(expected)}`);
  }
  return out;
}
