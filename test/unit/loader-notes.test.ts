// Specification of the Xen metadata reader (workers/loader/xen-notes.ts): where notes are looked
// for and in which order, how values are decoded, and every check that makes Xen refuse an image.
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../workers/loader/elf.ts';
import { LoadError } from '../../workers/loader/errors.ts';
import { parseFeatures, parseXenParams } from '../../workers/loader/xen-notes.ts';
import {
  EM_386, SHT_NOTE, SHT_PROGBITS, XEN_ELFNOTE as N, encodeNotes, makePvKernel, note, writeElf, type PvKernelSpec,
} from '../helpers/elf-writer.ts';

const pv64: PvKernelSpec = { guest: 'pv64', virtBase: 0xffffffff80000000n, paddrStart: 0x1000000n, imageSize: 0x200000 };
const params = (k: PvKernelSpec) => parseXenParams(parseElf(makePvKernel(k)));
const paramsOf = (b: Uint8Array) => parseXenParams(parseElf(b));

function loadError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoadError);
    return (e as Error).message;
  }
  throw new Error('expected a LoadError');
}

describe('Xen notes: finding and decoding', () => {
  it('reads a PV64 kernel from its PT_NOTE segment', () => {
    const x = params(pv64);
    expect(x.source).toBe('PT_NOTE');
    expect(x.guestType).toBe('pv64');
    expect(x.guestTypeName).toBe('xen-3.0-x86_64');
    expect(x.virtBase).toBe(0xffffffff80000000n);
    expect(x.virtKstart).toBe(0xffffffff81000000n);
    expect(x.virtKend).toBe(0xffffffff81200000n);
    expect(x.entry).toBe(0xffffffff81000010n);
    expect(x.hypercallPage).toBe(0xffffffff81001000n);
    expect(x.notes).toMatchObject({ GUEST_OS: 'testkernel', XEN_VERSION: 'xen-3.0', LOADER: 'generic', VIRT_BASE: '0xffffffff80000000' });
  });

  it('falls back to SHT_NOTE sections when there is no PT_NOTE segment', () => {
    const x = params({ ...pv64, notesIn: 'section' });
    expect(x.source).toBe('SHT_NOTE');
    expect(x.entry).toBe(0xffffffff81000010n);
  });

  it('prefers PT_NOTE over SHT_NOTE and skips PT_NOTE segments at file offset 0', () => {
    const elf = parseElf(makePvKernel({ ...pv64, guestOs: 'from-segment' }));
    expect(parseXenParams(elf).guestOs).toBe('from-segment');
    const other = encodeNotes([note.str(N.GUEST_OS, 'from-section'), note.str(N.XEN_VERSION, 'xen-3.0'), note.str(N.LOADER, 'generic')]);
    const both = writeElf({
      elfClass: 64, entry: 0x100010n, segments: [{ paddr: 0x100000n, data: new Uint8Array(0x100) }],
      notes: [note.str(N.GUEST_OS, 'from-segment'), note.str(N.XEN_VERSION, 'xen-3.0'), note.str(N.LOADER, 'generic')],
      sections: [{ name: '.note.other', type: SHT_NOTE, data: other }],
    });
    expect(paramsOf(both).guestOs).toBe('from-segment');
    // Point the PT_NOTE (program header 1) at offset 0: libelf ignores it and reads the section.
    new DataView(both.buffer).setBigUint64(64 + 56 + 8, 0n, true);
    expect(paramsOf(both).guestOs).toBe('from-section');
  });

  it('ignores notes of other owners', () => {
    const b = makePvKernel({ ...pv64, extraNotes: [{ name: 'GNU', type: N.GUEST_OS, desc: new TextEncoder().encode('hurd\0') }] });
    expect(paramsOf(b).guestOs).toBe('testkernel');
  });

  it('takes ENTRY from its note over e_entry, and reads 4-byte numeric notes', () => {
    const x = params({ ...pv64, extraNotes: [note.num(N.ENTRY, 0xffffffff81000100n)] });
    expect(x.entry).toBe(0xffffffff81000100n);
    const y = params({ guest: 'pv32', paddrStart: 0x100000n, imageSize: 0x10000, extraNotes: [note.num(N.ENTRY, 0x100200n, 4)] });
    expect(y.entry).toBe(0x100200n);
  });

  it('refuses numeric notes that are neither 4 nor 8 bytes', () => {
    const bad = { type: N.INIT_P2M, desc: new Uint8Array(3) };
    expect(loadError(() => params({ ...pv64, extraNotes: [bad] }))).toBe('Xen ELF note INIT_P2M has a 3-byte value; numeric notes are 4 or 8 bytes');
  });

  it('records INIT_P2M, MOD_START_PFN and the features', () => {
    const x = params({
      ...pv64, initP2m: 0x8000000000n, modStartPfn: true, features: '!writable_page_tables|pae_pgdir_above_4gb',
      extraNotes: [note.num(N.SUPPORTED_FEATURES, 0x8801n, 4)],
    });
    expect(x.initP2m).toBe(0x8000000000n);
    expect(x.modStartPfn).toBe(true);
    expect(x.featuresRequired).toBe(1 << 0);
    expect(x.featuresSupported).toBe((1 << 0) | (1 << 4) | 0x8801);
  });

  it('refuses a note whose value runs past the end of its area', () => {
    const b = makePvKernel(pv64);
    const elf = parseElf(b);
    const seg = elf.phdrs.find((p) => p.type === 4)!;
    new DataView(b.buffer).setUint32(seg.offset + 4, 0x1000, true); // descsz of the first note
    expect(loadError(() => paramsOf(b))).toMatch(/^corrupt ELF note in PT_NOTE segment 2 at file offset 0x[0-9a-f]+: its name or value runs past the end of the note area/);
  });
});

describe('Xen notes: the legacy __xen_guest string', () => {
  const legacy = (s: string, paddr = 0xc0100000n) =>
    writeElf({
      elfClass: 32, machine: EM_386, entry: paddr + 0x10n,
      segments: [{ paddr, data: new Uint8Array(0x3000) }],
      sections: [{ name: '__xen_guest', type: SHT_PROGBITS, data: new TextEncoder().encode(s + '\0') }],
    });

  it('reads keys, defaults ELF_PADDR_OFFSET to VIRT_BASE and takes HYPERCALL_PAGE as a page number', () => {
    const x = paramsOf(legacy('GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x101,PAE=yes[extended-cr3],LOADER=generic'));
    expect(x.source).toBe('__xen_guest');
    expect(x.guestType).toBe('pv32');
    expect(x.pae).toBe('extended-cr3');
    expect(x.paddrOffset).toBe(0xc0000000n);
    expect(x.virtKstart).toBe(0xc0100000n);
    expect(x.hypercallPage).toBe(0xc0101000n);
  });

  it('treats legacy PAE=yes as plain PAE (no extended CR3)', () => {
    expect(paramsOf(legacy('GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,PAE=yes')).pae).toBe('yes');
  });

  it('uses an explicit ELF_PADDR_OFFSET and VIRT_ENTRY', () => {
    const x = paramsOf(legacy('LOADER=generic,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0,VIRT_ENTRY=0xC0100010,PAE=yes', 0x100000n));
    expect(x.virtKstart).toBe(0xc0100000n);
    expect(x.entry).toBe(0xc0100010n);
  });
});

describe('Xen notes: images Xen refuses', () => {
  it('refuses an ELF without any Xen metadata', () => {
    const b = writeElf({ elfClass: 64, entry: 0x100000n, segments: [{ paddr: 0x100000n, data: new Uint8Array(16) }] });
    expect(loadError(() => paramsOf(b))).toMatch(/^no Xen ELF notes: this is not a Xen PV kernel \(.*missing XEN_ELFNOTE_XEN_VERSION\)$/);
  });

  it('refuses notes without XEN_VERSION, or for another interface version', () => {
    expect(loadError(() => params({ ...pv64, xenVersion: null }))).toMatch(/lack XEN_VERSION \(XEN_ELFNOTE_XEN_VERSION\)/);
    expect(loadError(() => params({ ...pv64, xenVersion: 'xen-2.0' }))).toBe(
      'the kernel is built for Xen interface "xen-2.0"; Xen (and xenwasm) load only "xen-3.0" kernels',
    );
  });

  it('needs LOADER "generic" or GUEST_OS "linux"', () => {
    expect(loadError(() => params({ ...pv64, loader: 'mine', guestOs: 'plan9' }))).toBe(
      'the Xen ELF notes give LOADER "mine" and GUEST_OS "plan9": Xen (and xenwasm) load only images for the "generic" loader or Linux',
    );
    expect(params({ ...pv64, loader: null, guestOs: 'linux' }).guestOs).toBe('linux');
  });

  it('refuses a 32-bit kernel without PAE', () => {
    const msg = '32-bit kernel without PAE: 64-bit Xen (and xenwasm) run only PAE 32-bit PV kernels (PAE_MODE "yes")';
    const k: PvKernelSpec = { guest: 'pv32', paddrStart: 0x100000n, imageSize: 0x10000 };
    expect(loadError(() => params({ ...k, pae: null }))).toBe(msg);
    expect(loadError(() => params({ ...k, pae: 'no' }))).toBe(msg);
    expect(params({ ...k, pae: 'yes' })).toMatchObject({ guestType: 'pv32', guestTypeName: 'xen-3.0-x86_32p', pae: 'extended-cr3' });
    expect(params({ ...k, pae: 'bimodal' }).pae).toBe('bimodal');
  });

  it('refuses an entry point outside the loaded image (its end is outside)', () => {
    expect(loadError(() => params({ ...pv64, entryOffset: 0x200000 }))).toBe(
      'entry point 0xffffffff81200000 lies outside the loaded image 0xffffffff81000000-0xffffffff81200000',
    );
  });

  it('refuses a hypercall page outside the loaded image', () => {
    expect(loadError(() => params({ ...pv64, hypercallPageOffset: 0x400000 }))).toBe(
      'HYPERCALL_PAGE 0xffffffff81400000 lies outside the loaded image 0xffffffff81000000-0xffffffff81200000',
    );
  });

  it('refuses an image placed below its VIRT_BASE', () => {
    const b = makePvKernel({ ...pv64, extraNotes: [note.num(N.PADDR_OFFSET, 0x2000000n)] });
    expect(loadError(() => paramsOf(b))).toMatch(/^the image is loaded at 0xffffffff7f000000, below its VIRT_BASE 0xffffffff80000000$/);
  });

  it('refuses kernels that require features a PV domU cannot have', () => {
    expect(loadError(() => params({ ...pv64, features: '!auto_translated_physmap' }))).toMatch(/^the kernel requires the Xen feature auto_translated_physmap, which a PV domU cannot have/);
    expect(loadError(() => params({ ...pv64, features: '!dom0' }))).toMatch(/only runs as dom0/);
  });
});

describe('Xen notes: FEATURES strings', () => {
  it('sets supported bits for every known name and required bits for !names', () => {
    expect(parseFeatures('writable_page_tables|!pae_pgdir_above_4gb|writable_descriptor_tables')).toEqual({ supported: 0b10011, required: 0b10000 });
  });

  it('ignores unknown optional names and refuses unknown required ones', () => {
    expect(parseFeatures('shiny_new_thing|writable_page_tables')).toEqual({ supported: 1, required: 0 });
    expect(loadError(() => parseFeatures('!shiny_new_thing'))).toBe('the kernel requires the unknown Xen feature "shiny_new_thing" (FEATURES "!shiny_new_thing")');
  });
});
