// A tiny ELF32/ELF64 writer for loader and builder tests: program headers, Xen notes (in a PT_NOTE
// segment, an SHT_NOTE section, or both), extra sections such as __xen_guest, and a section name
// table. Layout: ELF header, program headers, segment data, note data, section data, names,
// section headers. It writes what it is told, so tests can also make broken images by editing it.

export const EM_386 = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const SHT_PROGBITS = 1;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;

export interface SegmentSpec {
  type?: number;
  flags?: number;
  paddr: bigint;
  vaddr?: bigint;
  data: Uint8Array;
  /** Defaults to data.length. */
  memsz?: bigint;
}

export interface NoteSpec {
  type: number;
  desc: Uint8Array;
  /** Owner name, "Xen" unless given. */
  name?: string;
}

export interface SectionSpec {
  name: string;
  type: number;
  data: Uint8Array;
}

export interface ElfSpec {
  elfClass: 32 | 64;
  machine?: number;
  elfType?: number;
  entry: bigint;
  segments: SegmentSpec[];
  notes?: NoteSpec[];
  /** Where the notes go: a PT_NOTE segment (default), an SHT_NOTE section, or both. */
  notesIn?: 'segment' | 'section' | 'both';
  sections?: SectionSpec[];
}

/** Xen note helpers: strings are NUL-terminated, numbers 8 bytes unless told. */
export const note = {
  str(type: number, s: string): NoteSpec {
    const b = new TextEncoder().encode(s);
    const d = new Uint8Array(b.length + 1);
    d.set(b);
    return { type, desc: d };
  },
  num(type: number, v: bigint, size: 4 | 8 = 8): NoteSpec {
    const d = new Uint8Array(size);
    const dv = new DataView(d.buffer);
    if (size === 8) dv.setBigUint64(0, v, true);
    else dv.setUint32(0, Number(v), true);
    return { type, desc: d };
  },
};

export function encodeNotes(notes: NoteSpec[]): Uint8Array {
  const parts: number[] = [];
  const pad = () => {
    while (parts.length % 4) parts.push(0);
  };
  for (const n of notes) {
    const name = new TextEncoder().encode(n.name ?? 'Xen');
    const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    u32(name.length + 1);
    u32(n.desc.length);
    u32(n.type);
    parts.push(...name, 0);
    pad();
    parts.push(...n.desc);
    pad();
  }
  return Uint8Array.from(parts);
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function writeElf(spec: ElfSpec): Uint8Array {
  const is64 = spec.elfClass === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const notesIn = spec.notesIn ?? 'segment';
  const noteBlob = spec.notes && spec.notes.length > 0 ? encodeNotes(spec.notes) : undefined;
  const noteSegment = noteBlob !== undefined && notesIn !== 'section';
  const noteSection = noteBlob !== undefined && notesIn !== 'segment';
  const phnum = spec.segments.length + (noteSegment ? 1 : 0);

  // Lay out data blobs.
  let at = align(ehsize + phnum * phentsize, 16);
  const segOffsets = spec.segments.map((s) => {
    const o = at;
    at = align(at + s.data.length, 16);
    return o;
  });
  const noteOffset = at;
  if (noteBlob) at = align(at + noteBlob.length, 16);
  const sections: (SectionSpec & { offset: number })[] = [];
  if (noteSection) sections.push({ name: '.note.Xen', type: SHT_NOTE, data: noteBlob!, offset: noteOffset });
  for (const s of spec.sections ?? []) {
    sections.push({ ...s, offset: at });
    at = align(at + s.data.length, 16);
  }
  // Section name table: "\0" + names + ".shstrtab".
  const names: number[] = [0];
  const nameOf = (n: string) => {
    const o = names.length;
    names.push(...new TextEncoder().encode(n), 0);
    return o;
  };
  const nameOffsets = sections.map((s) => nameOf(s.name));
  const shstrName = nameOf('.shstrtab');
  const shstrOffset = at;
  at = align(at + names.length, 16);
  const shoff = at;
  const shnum = sections.length + 2; // null, sections..., shstrtab
  const size = shoff + shnum * shentsize;

  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const u16 = (o: number, v: number) => dv.setUint16(o, v, true);
  const u32 = (o: number, v: number) => dv.setUint32(o, v, true);
  const word = (o: number, v: bigint | number) => (is64 ? dv.setBigUint64(o, BigInt(v), true) : dv.setUint32(o, Number(v), true));
  const w = is64 ? 8 : 4;

  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]);
  u16(16, spec.elfType ?? 2);
  u16(18, spec.machine ?? (is64 ? EM_X86_64 : EM_386));
  u32(20, 1);
  word(24, spec.entry);
  word(24 + w, ehsize);
  word(24 + 2 * w, shoff);
  const b = 24 + 3 * w + 4;
  u16(b, ehsize);
  u16(b + 2, phentsize);
  u16(b + 4, phnum);
  u16(b + 6, shentsize);
  u16(b + 8, shnum);
  u16(b + 10, shnum - 1);

  const phdr = (i: number, type: number, flags: number, offset: number, vaddr: bigint, paddr: bigint, filesz: number, memsz: bigint) => {
    const o = ehsize + i * phentsize;
    if (is64) {
      u32(o, type); u32(o + 4, flags); word(o + 8, offset); word(o + 16, vaddr); word(o + 24, paddr);
      word(o + 32, filesz); word(o + 40, memsz); word(o + 48, 0x1000);
    } else {
      u32(o, type); word(o + 4, offset); word(o + 8, vaddr); word(o + 12, paddr); word(o + 16, filesz);
      word(o + 20, memsz); u32(o + 24, flags); word(o + 28, 0x1000);
    }
  };
  spec.segments.forEach((s, i) => {
    out.set(s.data, segOffsets[i]);
    phdr(i, s.type ?? PT_LOAD, s.flags ?? PF_R | PF_W | PF_X, segOffsets[i], s.vaddr ?? s.paddr, s.paddr, s.data.length, s.memsz ?? BigInt(s.data.length));
  });
  if (noteBlob) out.set(noteBlob, noteOffset);
  if (noteSegment) phdr(spec.segments.length, PT_NOTE, PF_R, noteOffset, 0n, 0n, noteBlob!.length, BigInt(noteBlob!.length));
  for (const s of sections) if (s.type !== SHT_NOTE || s.data !== noteBlob) out.set(s.data, s.offset);
  out.set(names, shstrOffset);

  const shdr = (i: number, name: number, type: number, offset: number, sz: number) => {
    const o = shoff + i * shentsize;
    u32(o, name);
    u32(o + 4, type);
    word(o + 8 + 2 * w, offset);
    word(o + 8 + 3 * w, sz);
  };
  sections.forEach((s, i) => shdr(i + 1, nameOffsets[i], s.type, s.offset, s.data.length));
  shdr(shnum - 1, shstrName, SHT_STRTAB, shstrOffset, names.length);
  return out;
}

/** Header-field offsets, so tests can break specific fields. */
export const ELF64_OFF = { phoff: 32, shoff: 40, phentsize: 54, phnum: 56, shnum: 60, shstrndx: 62 };
export const ELF32_OFF = { phoff: 28, shoff: 32, phentsize: 42, phnum: 44, shnum: 48, shstrndx: 50 };

// ---- Synthetic Xen PV kernels -------------------------------------------------------------------

export const XEN_ELFNOTE = {
  ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5, GUEST_OS: 6, GUEST_VERSION: 7,
  LOADER: 8, PAE_MODE: 9, FEATURES: 10, BSD_SYMTAB: 11, HV_START_LOW: 12, L1_MFN_VALID: 13, SUSPEND_CANCEL: 14,
  INIT_P2M: 15, MOD_START_PFN: 16, SUPPORTED_FEATURES: 17,
} as const;

export interface PvKernelSpec {
  guest: 'pv64' | 'pv32';
  /** VIRT_BASE note (omitted when undefined: Xen then uses 0). */
  virtBase?: bigint;
  /** p_paddr of the first segment. */
  paddrStart: bigint;
  /** Bytes from the first segment's start to the end of the image (text + data + BSS). */
  imageSize: number;
  /** File bytes of the text segment (a recognisable pattern). Default 0x3000. */
  textSize?: number;
  /** Entry as an offset into the image. Default 0x10. */
  entryOffset?: number;
  /** HYPERCALL_PAGE as an offset into the image (page aligned). Default 0x1000; null: no note. */
  hypercallPageOffset?: number | null;
  initP2m?: bigint;
  modStartPfn?: boolean;
  /** PAE_MODE note; default "yes" for pv32, none for pv64; null: no note. */
  pae?: string | null;
  guestOs?: string;
  loader?: string | null;
  xenVersion?: string | null;
  features?: string;
  extraNotes?: NoteSpec[];
  notesIn?: ElfSpec['notesIn'];
}

/** The byte the text segment holds at offset i. */
export const textByte = (i: number) => (i * 7 + 1) & 0xff;
/** The byte the data segment holds at offset i. */
export const dataByte = (i: number) => (i * 13 + 5) & 0xff;
export const DATA_FILE_SIZE = 0x180;

/** A PV kernel ELF: text at paddrStart, then data whose BSS runs to paddrStart + imageSize. */
export function makePvKernel(k: PvKernelSpec): Uint8Array {
  const textSize = k.textSize ?? 0x3000;
  const virtBase = k.virtBase ?? 0n;
  const vstart = virtBase + k.paddrStart;
  const text = Uint8Array.from({ length: textSize }, (_, i) => textByte(i));
  const data = Uint8Array.from({ length: DATA_FILE_SIZE }, (_, i) => dataByte(i));
  const dataPaddr = k.paddrStart + BigInt(align(textSize, 0x1000));
  const dataMemsz = k.paddrStart + BigInt(k.imageSize) - dataPaddr;
  const notes: NoteSpec[] = [];
  const E = XEN_ELFNOTE;
  notes.push(note.str(E.GUEST_OS, k.guestOs ?? 'testkernel'));
  if (k.xenVersion !== null) notes.push(note.str(E.XEN_VERSION, k.xenVersion ?? 'xen-3.0'));
  if (k.loader !== null) notes.push(note.str(E.LOADER, k.loader ?? 'generic'));
  if (k.virtBase !== undefined) notes.push(note.num(E.VIRT_BASE, k.virtBase));
  notes.push(note.num(E.PADDR_OFFSET, 0n));
  const hc = k.hypercallPageOffset === undefined ? 0x1000 : k.hypercallPageOffset;
  if (hc !== null) notes.push(note.num(E.HYPERCALL_PAGE, vstart + BigInt(hc)));
  const pae = k.pae === undefined ? (k.guest === 'pv32' ? 'yes' : null) : k.pae;
  if (pae !== null) notes.push(note.str(E.PAE_MODE, pae));
  if (k.features !== undefined) notes.push(note.str(E.FEATURES, k.features));
  if (k.initP2m !== undefined) notes.push(note.num(E.INIT_P2M, k.initP2m));
  if (k.modStartPfn) notes.push(note.num(E.MOD_START_PFN, 1n));
  notes.push(...(k.extraNotes ?? []));
  return writeElf({
    elfClass: k.guest === 'pv64' ? 64 : 32,
    entry: vstart + BigInt(k.entryOffset ?? 0x10),
    segments: [
      { paddr: k.paddrStart, vaddr: vstart, data: text, flags: PF_R | PF_X },
      { paddr: dataPaddr, vaddr: virtBase + dataPaddr, data, memsz: dataMemsz, flags: PF_R | PF_W },
    ],
    notes,
    notesIn: k.notesIn,
  });
}
