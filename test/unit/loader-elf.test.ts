// Specification of the ELF reader (workers/loader/elf.ts): what it extracts from good ELF32/ELF64
// images and the one-line LoadError it gives for each kind of broken file.
import { describe, expect, it } from 'vitest';
import { parseElf, PT_LOAD, PT_NOTE, SHT_NOTE } from '../../workers/loader/elf.ts';
import { LoadError } from '../../workers/loader/errors.ts';
import { ELF32_OFF, ELF64_OFF, EM_X86_64, note, writeElf, type ElfSpec } from '../helpers/elf-writer.ts';

const text = new Uint8Array(64).fill(0x90);
const spec64: ElfSpec = {
  elfClass: 64,
  entry: 0xffffffff81000010n,
  segments: [{ paddr: 0x1000000n, vaddr: 0xffffffff81000000n, data: text, memsz: 0x2000n }],
  notes: [note.str(6, 'linux')],
  notesIn: 'both',
  sections: [{ name: '__xen_guest', type: 1, data: new TextEncoder().encode('GUEST_OS=x\0') }],
};
const good64 = () => writeElf(spec64);
const good32 = () => writeElf({ ...spec64, elfClass: 32, entry: 0xc0100010n, segments: [{ paddr: 0x100000n, vaddr: 0xc0100000n, data: text }] });

function loadError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoadError);
    return (e as Error).message;
  }
  throw new Error('expected a LoadError');
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('ELF reader: good images', () => {
  it('reads an ELF64 header, its program headers and its sections', () => {
    const elf = parseElf(good64());
    expect(elf.elfClass).toBe(64);
    expect(elf.machine).toBe(EM_X86_64);
    expect(elf.entry).toBe(0xffffffff81000010n);
    expect(elf.phdrs.map((p) => p.type)).toEqual([PT_LOAD, PT_NOTE]);
    const load = elf.phdrs[0];
    expect(load.paddr).toBe(0x1000000n);
    expect(load.vaddr).toBe(0xffffffff81000000n);
    expect(load.filesz).toBe(64);
    expect(load.memsz).toBe(0x2000n);
    expect(elf.bytes.subarray(load.offset, load.offset + 4)).toEqual(new Uint8Array([0x90, 0x90, 0x90, 0x90]));
    expect(elf.shdrs.map((s) => s.name)).toEqual(['', '.note.Xen', '__xen_guest', '.shstrtab']);
    expect(elf.shdrs[1].type).toBe(SHT_NOTE);
  });

  it('reads an ELF32 image with 32-bit fields', () => {
    const elf = parseElf(good32());
    expect(elf.elfClass).toBe(32);
    expect(elf.machine).toBe(3);
    expect(elf.entry).toBe(0xc0100010n);
    expect(elf.phdrs[0].paddr).toBe(0x100000n);
    expect(elf.phdrs[0].vaddr).toBe(0xc0100000n);
  });
});

describe('ELF reader: broken images', () => {
  it('refuses a file without the ELF magic', () => {
    expect(loadError(() => parseElf(new TextEncoder().encode('MZ\x90\x00 not an elf file at all')))).toBe('not an ELF file (bad magic)');
  });

  it('refuses a file cut inside the ELF header', () => {
    expect(loadError(() => parseElf(good64().subarray(0, 40)))).toBe('truncated ELF: the file is 40 bytes, shorter than the 64-byte ELF64 header');
  });

  it('refuses program headers that lie beyond the end of the file', () => {
    const b = good64();
    dv(b).setUint16(ELF64_OFF.phnum, 3, true); // 2 real + 1 past the headers: still in the file
    const cut = b.subarray(0, 64 + 2 * 56 + 10);
    expect(loadError(() => parseElf(cut))).toBe(
      `truncated ELF: program header 2 lies beyond the end of the file (offset 0xb0, file size 0x${cut.length.toString(16)})`,
    );
  });

  it('refuses a segment whose data lies beyond the end of the file', () => {
    const b = good64();
    dv(b).setBigUint64(64 + 32, 0x100000n, true); // p_filesz of segment 0
    dv(b).setBigUint64(64 + 40, 0x100000n, true); // p_memsz
    expect(loadError(() => parseElf(b))).toMatch(/^truncated ELF: segment 0 \(PT_LOAD\) data lies beyond the end of the file \(offset 0x[0-9a-f]+, size 0x100000, file size 0x[0-9a-f]+\)$/);
  });

  it('refuses a PT_LOAD whose file size exceeds its memory size', () => {
    const b = good64();
    dv(b).setBigUint64(64 + 40, 8n, true);
    expect(loadError(() => parseElf(b))).toBe('corrupt ELF: segment 0 (PT_LOAD) has file size 0x40 larger than its memory size 0x8');
  });

  it('refuses a machine other than x86 and x86-64, naming it', () => {
    const b = good64();
    dv(b).setUint16(18, 40, true);
    expect(loadError(() => parseElf(b))).toBe(
      'unsupported ELF machine 40 (ARM); xenwasm runs x86 (EM_386) and x86-64 (EM_X86_64) kernels',
    );
    dv(b).setUint16(18, 183, true);
    expect(loadError(() => parseElf(b))).toMatch(/^unsupported ELF machine 183 \(AArch64\)/);
  });

  it('refuses big-endian files and unknown classes', () => {
    const b = good64();
    b[5] = 2;
    expect(loadError(() => parseElf(b))).toBe('big-endian ELF: x86 kernels are little-endian');
    const c = good64();
    c[4] = 3;
    expect(loadError(() => parseElf(c))).toBe('unsupported ELF class 3 (expected 1 = ELF32 or 2 = ELF64)');
  });

  it('refuses relocatable objects', () => {
    const b = good64();
    dv(b).setUint16(16, 1, true);
    expect(loadError(() => parseElf(b))).toBe('ELF type 1 (relocatable object): a kernel image must be an executable (ET_EXEC)');
  });

  it('refuses an image without program headers or without PT_LOAD', () => {
    const b = good64();
    dv(b).setUint16(ELF64_OFF.phnum, 0, true);
    expect(loadError(() => parseElf(b))).toBe('ELF has no program headers: a kernel image needs PT_LOAD segments');
    const c = good64();
    dv(c).setUint32(64, 6, true); // segment 0 becomes PT_PHDR
    expect(loadError(() => parseElf(c))).toBe('ELF has no loadable (PT_LOAD) segment');
  });

  it('refuses a program header entry size smaller than the format needs', () => {
    const b = good32();
    dv(b).setUint16(ELF32_OFF.phentsize, 20, true);
    expect(loadError(() => parseElf(b))).toBe('corrupt ELF: e_phentsize is 20, smaller than a 32-byte ELF32 program header');
  });

  it('refuses section headers beyond the end of the file', () => {
    const b = good64();
    const shoff = Number(dv(b).getBigUint64(ELF64_OFF.shoff, true));
    const cut = b.subarray(0, shoff + 64 + 10);
    expect(loadError(() => parseElf(cut))).toBe(
      `truncated ELF: section header 1 lies beyond the end of the file (offset 0x${(shoff + 64).toString(16)}, file size 0x${cut.length.toString(16)})`,
    );
  });

  it('refuses section data beyond the end of the file', () => {
    const b = good64();
    const shoff = Number(dv(b).getBigUint64(ELF64_OFF.shoff, true));
    dv(b).setBigUint64(shoff + 2 * 64 + 32, 0x10000n, true); // sh_size of section 2 (__xen_guest)
    expect(loadError(() => parseElf(b))).toMatch(/^truncated ELF: section 2 data lies beyond the end of the file/);
  });

  it('refuses a section name table index out of range', () => {
    const b = good64();
    dv(b).setUint16(ELF64_OFF.shstrndx, 9, true);
    expect(loadError(() => parseElf(b))).toBe('corrupt ELF: section name table index 9 is out of range (4 sections)');
  });
});
