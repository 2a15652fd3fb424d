// Linux bzImage unwrapping (Documentation/arch/x86/boot.rst, "The real-mode kernel header"), as
// Xen's bzImage loader does it: the setup header's "HdrS" at 0x202 and protocol >= 2.08, then the
// compressed kernel at (setup_sects + 1) * 512 + payload_offset, payload_length bytes long. The
// payload is expanded (decompress.ts) and must be an ELF (vmlinux.bin, possibly followed by KASLR
// relocation data, which the ELF reader ignores). Every offset is checked against the file size.

import { LoadError, hex } from './errors.ts';
import { isElf } from './elf.ts';
import { decompress, detectCompression, type Compression } from './decompress.ts';

const SETUP_SECTS = 0x1f1;
const HEADER_MAGIC = 0x202;
const VERSION = 0x206;
const PAYLOAD_OFFSET = 0x248;
const PAYLOAD_LENGTH = 0x24c;
const MIN_VERSION = 0x208;

export interface BzImageHeader {
  /** Boot protocol version, e.g. 0x20f. */
  version: number;
  setupSects: number;
  /** File offset and length of the compressed kernel. */
  payloadStart: number;
  payloadLength: number;
}

/** True if the file carries a Linux x86 boot-protocol header ("HdrS" at 0x202). */
export function isBzImage(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_MAGIC + 4 && bytes[HEADER_MAGIC] === 0x48 && bytes[HEADER_MAGIC + 1] === 0x64 &&
    bytes[HEADER_MAGIC + 2] === 0x72 && bytes[HEADER_MAGIC + 3] === 0x53;
}

export function parseBzImageHeader(bytes: Uint8Array): BzImageHeader {
  if (!isBzImage(bytes)) throw new LoadError('not a Linux bzImage (no "HdrS" at 0x202)');
  if (bytes.length < PAYLOAD_LENGTH + 4) {
    throw new LoadError(`truncated bzImage: the file is ${hex(bytes.length)} bytes, shorter than the setup header`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(VERSION, true);
  if (version < MIN_VERSION) {
    throw new LoadError(
      `bzImage boot protocol ${version >> 8}.${(version & 0xff).toString().padStart(2, '0')} is too old: the payload fields need 2.08 or later`,
    );
  }
  // setup_sects 0 means 4 (boot.rst: "for backwards compatibility").
  const setupSects = bytes[SETUP_SECTS] === 0 ? 4 : bytes[SETUP_SECTS];
  const payloadOffset = dv.getUint32(PAYLOAD_OFFSET, true);
  const payloadLength = dv.getUint32(PAYLOAD_LENGTH, true);
  const payloadStart = (setupSects + 1) * 512 + payloadOffset;
  if (payloadLength === 0) throw new LoadError('corrupt bzImage: payload_length is 0');
  if (payloadStart + payloadLength > bytes.length) {
    throw new LoadError(
      `truncated bzImage: the payload ${hex(payloadStart)}+${hex(payloadLength)} lies beyond the end of the file (size ${hex(bytes.length)})`,
    );
  }
  return { version, setupSects, payloadStart, payloadLength };
}

/** Extracts and expands the kernel ELF inside a bzImage. */
export async function extractBzImage(bytes: Uint8Array): Promise<{ elf: Uint8Array; compression: Compression | 'none'; header: BzImageHeader }> {
  const header = parseBzImageHeader(bytes);
  const payload = bytes.subarray(header.payloadStart, header.payloadStart + header.payloadLength);
  if (isElf(payload)) return { elf: payload, compression: 'none', header };
  const kind = detectCompression(payload);
  if (!kind) {
    const head = Array.from(payload.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new LoadError(`bzImage payload at ${hex(header.payloadStart)} has an unknown format (starts ${head}): not gzip, xz, zstd, LZ4 or ELF`);
  }
  const elf = await decompress(payload, kind, { sizeTrailer: true, what: 'bzImage payload' });
  if (!isElf(elf)) throw new LoadError(`bzImage payload expands (${kind}) to something that is not an ELF file (bad magic)`);
  return { elf, compression: kind, header };
}
