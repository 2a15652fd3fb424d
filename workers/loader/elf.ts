// ELF32/ELF64 little-endian reader for PV kernel images (System V gABI, "ELF header", "Program
// header", "Sections"). Parses the file header, every program header and every section header,
// and checks each one against the file's bounds before anything reads through it: after
// parseElf() returns, every PT_LOAD/PT_NOTE file range and every non-NOBITS section range lies
// inside `bytes`. Addresses and memory sizes stay bigint (x86-64 kernels live at 0xffffffff8...).

import { LoadError, hex } from './errors.ts';

export const EM_386 = 3;
export const EM_X86_64 = 62;

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

export interface ElfProgramHeader {
  index: number;
  type: number;
  flags: number;
  /** File offset and size: checked to lie inside the file for PT_LOAD and PT_NOTE. */
  offset: number;
  filesz: number;
  vaddr: bigint;
  paddr: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfSectionHeader {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  /** File offset and size: checked to lie inside the file unless the type is SHT_NOBITS. */
  offset: number;
  size: number;
}

export interface ElfFile {
  bytes: Uint8Array;
  elfClass: 32 | 64;
  type: number;
  machine: number;
  entry: bigint;
  phdrs: ElfProgramHeader[];
  shdrs: ElfSectionHeader[];
}

const MACHINE_NAMES: Record<number, string> = {
  2: 'SPARC', 3: 'x86', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'S/390', 40: 'ARM',
  42: 'SuperH', 43: 'SPARC V9', 50: 'IA-64', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V',
  258: 'LoongArch',
};

const TYPE_NAMES: Record<number, string> = { 0: 'none', 1: 'relocatable object', 4: 'core dump' };

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

function segmentTypeName(type: number): string {
  if (type === PT_LOAD) return 'PT_LOAD';
  if (type === PT_NOTE) return 'PT_NOTE';
  return `type ${hex(type)}`;
}

/** A bigint file offset or size as a number, refusing values no real file can have. */
function fileNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoadError(`corrupt ELF: ${what} ${hex(v)} is impossibly large`);
  return Number(v);
}

function checkRange(offset: bigint, size: bigint, fileSize: number, what: string): void {
  if (offset + size > BigInt(fileSize)) {
    throw new LoadError(
      `truncated ELF: ${what} lies beyond the end of the file (offset ${hex(offset)}, size ${hex(size)}, file size ${hex(fileSize)})`,
    );
  }
}

/** Parses and bounds-checks an x86 or x86-64 ELF image. Throws LoadError naming the first problem. */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (!isElf(bytes)) throw new LoadError('not an ELF file (bad magic)');
  if (bytes.length < 16) throw new LoadError(`truncated ELF: the file is ${bytes.length} bytes, shorter than e_ident`);
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) throw new LoadError(`unsupported ELF class ${cls} (expected 1 = ELF32 or 2 = ELF64)`);
  if (bytes[5] === 2) throw new LoadError('big-endian ELF: x86 kernels are little-endian');
  if (bytes[5] !== 1) throw new LoadError(`unsupported ELF data encoding ${bytes[5]} (expected 1 = little-endian)`);
  if (bytes[6] !== 1) throw new LoadError(`unsupported ELF version ${bytes[6]} (expected 1)`);
  const is64 = cls === 2;
  const ehsize = is64 ? 64 : 52;
  if (bytes.length < ehsize) {
    throw new LoadError(`truncated ELF: the file is ${bytes.length} bytes, shorter than the ${ehsize}-byte ELF${is64 ? 64 : 32} header`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const word = (o: number): bigint => (is64 ? dv.getBigUint64(o, true) : BigInt(dv.getUint32(o, true)));
  const wsize = is64 ? 8 : 4;

  const type = u16(16);
  const machine = u16(18);
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new LoadError(`ELF type ${type} (${TYPE_NAMES[type] ?? 'unknown'}): a kernel image must be an executable (ET_EXEC)`);
  }
  if (machine !== EM_386 && machine !== EM_X86_64) {
    const name = MACHINE_NAMES[machine] ?? 'unknown';
    throw new LoadError(
      `unsupported ELF machine ${machine} (${name}); xenwasm runs x86 (EM_386) and x86-64 (EM_X86_64) kernels`,
    );
  }
  const entry = word(24);
  const phoff = word(24 + wsize);
  const shoff = word(24 + 2 * wsize);
  const base = 24 + 3 * wsize + 4; // past e_flags
  const phentsize = u16(base + 2);
  let phnum = u16(base + 4);
  const shentsize = u16(base + 6);
  let shnum = u16(base + 8);
  let shstrndx = u16(base + 10);
  const phdrSize = is64 ? 56 : 32;
  const shdrSize = is64 ? 64 : 40;

  // Section 0 carries the real counts when they overflow 16 bits (gABI "extended numbering").
  let sec0: { size: bigint; link: number; info: number } | undefined;
  if (shoff !== 0n) {
    if (shentsize < shdrSize) {
      throw new LoadError(`corrupt ELF: e_shentsize is ${shentsize}, smaller than a ${shdrSize}-byte ELF${cls === 2 ? 64 : 32} section header`);
    }
    if (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX) {
      checkRange(shoff, BigInt(shdrSize), bytes.length, 'section header 0');
      const o = Number(shoff);
      sec0 = { size: word(o + 16 + 2 * wsize), link: u32(o + 16 + 3 * wsize), info: u32(o + 20 + 3 * wsize) };
      if (shnum === 0) shnum = fileNumber(sec0.size, 'extended section count');
      if (phnum === PN_XNUM) phnum = sec0.info;
      if (shstrndx === SHN_XINDEX) shstrndx = sec0.link;
    }
  }

  if (phnum === 0 || phoff === 0n) throw new LoadError('ELF has no program headers: a kernel image needs PT_LOAD segments');
  if (phentsize < phdrSize) {
    throw new LoadError(`corrupt ELF: e_phentsize is ${phentsize}, smaller than a ${phdrSize}-byte ELF${is64 ? 64 : 32} program header`);
  }

  // The whole table first, then what each entry points at.
  for (let i = 0; i < phnum; i++) {
    const at = phoff + BigInt(i) * BigInt(phentsize);
    if (at + BigInt(phdrSize) > BigInt(bytes.length)) {
      throw new LoadError(
        `truncated ELF: program header ${i} lies beyond the end of the file (offset ${hex(at)}, file size ${hex(bytes.length)})`,
      );
    }
  }
  const phdrs: ElfProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = Number(phoff + BigInt(i) * BigInt(phentsize));
    const p = is64
      ? {
          type: u32(o), flags: u32(o + 4), offset: word(o + 8), vaddr: word(o + 16), paddr: word(o + 24),
          filesz: word(o + 32), memsz: word(o + 40), align: word(o + 48),
        }
      : {
          type: u32(o), offset: word(o + 4), vaddr: word(o + 8), paddr: word(o + 12), filesz: word(o + 16),
          memsz: word(o + 20), flags: u32(o + 24), align: word(o + 28),
        };
    if (p.type === PT_LOAD || p.type === PT_NOTE) {
      checkRange(p.offset, p.filesz, bytes.length, `segment ${i} (${segmentTypeName(p.type)}) data`);
    }
    if (p.type === PT_LOAD && p.filesz > p.memsz) {
      throw new LoadError(`corrupt ELF: segment ${i} (PT_LOAD) has file size ${hex(p.filesz)} larger than its memory size ${hex(p.memsz)}`);
    }
    const inFile = p.type === PT_LOAD || p.type === PT_NOTE;
    phdrs.push({
      index: i, type: p.type, flags: p.flags,
      // Other segment types are never read through, so their ranges are kept but not checked.
      offset: inFile ? Number(p.offset) : Number(p.offset & 0xffffffffffffn),
      filesz: inFile ? Number(p.filesz) : Number(p.filesz & 0xffffffffffffn),
      vaddr: p.vaddr, paddr: p.paddr, memsz: p.memsz, align: p.align,
    });
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new LoadError('ELF has no loadable (PT_LOAD) segment');

  const raw: { name: number; type: number; flags: bigint; addr: bigint; offset: bigint; size: bigint }[] = [];
  if (shoff !== 0n) {
    for (let i = 0; i < shnum; i++) {
      const at = shoff + BigInt(i) * BigInt(shentsize);
      if (at + BigInt(shdrSize) > BigInt(bytes.length)) {
        throw new LoadError(
          `truncated ELF: section header ${i} lies beyond the end of the file (offset ${hex(at)}, file size ${hex(bytes.length)})`,
        );
      }
    }
    for (let i = 0; i < shnum; i++) {
      const o = Number(shoff + BigInt(i) * BigInt(shentsize));
      const s = {
        name: u32(o), type: u32(o + 4), flags: word(o + 8), addr: word(o + 8 + wsize),
        offset: word(o + 8 + 2 * wsize), size: word(o + 8 + 3 * wsize),
      };
      if (s.type !== SHT_NOBITS && s.type !== 0) checkRange(s.offset, s.size, bytes.length, `section ${i} data`);
      raw.push(s);
    }
  }
  let names: ElfSectionHeader | undefined;
  if (raw.length > 0 && shstrndx !== 0) {
    if (shstrndx >= raw.length) {
      throw new LoadError(`corrupt ELF: section name table index ${shstrndx} is out of range (${raw.length} sections)`);
    }
    const s = raw[shstrndx];
    if (s.type === SHT_NOBITS) throw new LoadError(`corrupt ELF: section name table ${shstrndx} has no data (SHT_NOBITS)`);
    names = { index: shstrndx, name: '', type: s.type, flags: s.flags, addr: s.addr, offset: Number(s.offset), size: Number(s.size) };
  }
  const shdrs: ElfSectionHeader[] = raw.map((s, i) => {
    const inFile = s.type !== SHT_NOBITS && s.type !== 0;
    return {
      index: i,
      name: names ? sectionName(bytes, names, s.name, i) : '',
      type: s.type, flags: s.flags, addr: s.addr,
      offset: inFile ? Number(s.offset) : 0,
      size: inFile ? Number(s.size) : 0,
    };
  });

  return { bytes, elfClass: is64 ? 64 : 32, type, machine, entry, phdrs, shdrs };
}

function sectionName(bytes: Uint8Array, table: ElfSectionHeader, at: number, index: number): string {
  if (at >= table.size) {
    throw new LoadError(`corrupt ELF: section ${index} name offset ${hex(at)} lies outside the section name table (size ${hex(table.size)})`);
  }
  const start = table.offset + at;
  const end = table.offset + table.size;
  let i = start;
  while (i < end && bytes[i] !== 0) i++;
  return new TextDecoder('latin1').decode(bytes.subarray(start, i));
}

/** The bytes of a segment or section that lies in the file (bounds already checked by parseElf). */
export function fileData(elf: ElfFile, where: { offset: number; filesz?: number; size?: number }): Uint8Array {
  const size = where.filesz ?? where.size ?? 0;
  return elf.bytes.subarray(where.offset, where.offset + size);
}

/** Loadable segments as libelf counts them: PT_LOAD with at least one of R, W, X. */
export function loadableSegments(elf: ElfFile): ElfProgramHeader[] {
  return elf.phdrs.filter((p) => p.type === PT_LOAD && (p.flags & (PF_R | PF_W | PF_X)) !== 0);
}
