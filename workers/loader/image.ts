// The kernel-image front door: takes the bytes a user gave (an ELF, a Linux bzImage, or an ELF
// compressed as a whole, as xl accepts `vmlinux.gz`), finds the ELF, parses it and its Xen notes.
// The result is a checked PV image the domain builder can lay out without further validation.

import { LoadError } from './errors.ts';
import { isElf, parseElf, type ElfFile } from './elf.ts';
import { extractBzImage, isBzImage } from './bzimage.ts';
import { decompress, detectCompression, type Compression } from './decompress.ts';
import { parseXenParams, type XenParams } from './xen-notes.ts';

export interface KernelImage {
  elf: ElfFile;
  xen: XenParams;
  /** How the ELF was found. */
  format: 'ELF' | 'bzImage' | 'compressed ELF';
  compression: Compression | 'none';
}

/** Finds and checks the PV kernel inside `bytes`. Throws LoadError naming the cause. */
export async function loadKernelImage(bytes: Uint8Array): Promise<KernelImage> {
  let elfBytes: Uint8Array;
  let format: KernelImage['format'];
  let compression: KernelImage['compression'] = 'none';
  if (bytes.length === 0) throw new LoadError('the kernel file is empty');
  if (isElf(bytes)) {
    elfBytes = bytes;
    format = 'ELF';
  } else if (isBzImage(bytes)) {
    const bz = await extractBzImage(bytes);
    elfBytes = bz.elf;
    compression = bz.compression;
    format = 'bzImage';
  } else {
    const kind = detectCompression(bytes);
    if (!kind) {
      throw new LoadError('not a kernel image: neither an ELF file (bad magic) nor a Linux bzImage ("HdrS" at 0x202) nor a compressed ELF');
    }
    elfBytes = await decompress(bytes, kind, { sizeTrailer: false, what: 'the kernel file' });
    if (!isElf(elfBytes)) throw new LoadError(`the kernel file expands (${kind}) to something that is not an ELF file (bad magic)`);
    compression = kind;
    format = 'compressed ELF';
  }
  const elf = parseElf(elfBytes);
  return { elf, xen: parseXenParams(elf), format, compression };
}

/** The same for a plain ELF already in hand, synchronously (tests, tools). */
export function loadElfKernel(bytes: Uint8Array): KernelImage {
  const elf = parseElf(bytes);
  return { elf, xen: parseXenParams(elf), format: 'ELF', compression: 'none' };
}
