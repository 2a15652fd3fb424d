// Xen boot metadata of a PV kernel: the XEN_ELFNOTE_* notes (xen/include/public/elfnote.h) or the
// legacy `__xen_guest` string, and the checks libelf makes before building (xen-pv-abi.md 1.1-1.3).
// Search order as in libelf: PT_NOTE segments (skipping p_offset 0), then SHT_NOTE sections, then
// `__xen_guest`. The result names the guest type and every address the builder needs; it is only
// returned when the image passes every check (entry and hypercall page inside the image, etc.).

import { LoadError, hex } from './errors.ts';
import {
  EM_386, EM_X86_64, PT_NOTE, SHT_NOBITS, SHT_NOTE, fileData, loadableSegments, type ElfFile,
} from './elf.ts';

export const XEN_ELFNOTE_INFO = 0;
export const XEN_ELFNOTE_ENTRY = 1;
export const XEN_ELFNOTE_HYPERCALL_PAGE = 2;
export const XEN_ELFNOTE_VIRT_BASE = 3;
export const XEN_ELFNOTE_PADDR_OFFSET = 4;
export const XEN_ELFNOTE_XEN_VERSION = 5;
export const XEN_ELFNOTE_GUEST_OS = 6;
export const XEN_ELFNOTE_GUEST_VERSION = 7;
export const XEN_ELFNOTE_LOADER = 8;
export const XEN_ELFNOTE_PAE_MODE = 9;
export const XEN_ELFNOTE_FEATURES = 10;
export const XEN_ELFNOTE_BSD_SYMTAB = 11;
export const XEN_ELFNOTE_HV_START_LOW = 12;
export const XEN_ELFNOTE_L1_MFN_VALID = 13;
export const XEN_ELFNOTE_SUSPEND_CANCEL = 14;
export const XEN_ELFNOTE_INIT_P2M = 15;
export const XEN_ELFNOTE_MOD_START_PFN = 16;
export const XEN_ELFNOTE_SUPPORTED_FEATURES = 17;
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const XEN_ELFNOTE_PHYS32_RELOC = 19;

type NoteKind = 'str' | 'num' | 'raw';
/** Name and value kind of each note type, indexed by XEN_ELFNOTE_* number. */
const NOTE_TABLE: [string, NoteKind][] = [
  ['INFO', 'str'], ['ENTRY', 'num'], ['HYPERCALL_PAGE', 'num'], ['VIRT_BASE', 'num'],
  ['PADDR_OFFSET', 'num'], ['XEN_VERSION', 'str'], ['GUEST_OS', 'str'], ['GUEST_VERSION', 'str'],
  ['LOADER', 'str'], ['PAE_MODE', 'str'], ['FEATURES', 'str'], ['BSD_SYMTAB', 'str'],
  ['HV_START_LOW', 'num'], ['L1_MFN_VALID', 'raw'], ['SUSPEND_CANCEL', 'num'], ['INIT_P2M', 'num'],
  ['MOD_START_PFN', 'num'], ['SUPPORTED_FEATURES', 'num'], ['PHYS32_ENTRY', 'num'], ['PHYS32_RELOC', 'raw'],
];

/** XENFEAT_* bit numbers of the names a FEATURES string may use (xen/include/public/features.h). */
export const XENFEAT: Record<string, number> = {
  writable_page_tables: 0,
  writable_descriptor_tables: 1,
  auto_translated_physmap: 2,
  supervisor_mode_kernel: 3,
  pae_pgdir_above_4gb: 4,
  hvm_callback_vector: 8,
  dom0: 11,
};

/** Required features a PV domU cannot have, with the reason shown to the user. */
const REFUSED_FEATURES: Record<string, string> = {
  auto_translated_physmap: 'auto-translated (PVH/HVM) guests are not PV',
  supervisor_mode_kernel: '64-bit Xen never ran PV kernels in ring 0',
  hvm_callback_vector: 'only HVM guests have a callback vector',
  dom0: 'the kernel only runs as dom0 and xenwasm builds an unprivileged domU',
};

export type PaeMode = 'no' | 'yes' | 'extended-cr3' | 'bimodal';

/** Everything the domain builder needs from the image's Xen metadata, already checked. */
export interface XenParams {
  guestType: 'pv32' | 'pv64';
  /** start_info magic and Xen's guest type name. */
  guestTypeName: 'xen-3.0-x86_64' | 'xen-3.0-x86_32p';
  /** Where the metadata came from. */
  source: 'PT_NOTE' | 'SHT_NOTE' | '__xen_guest';
  virtBase: bigint;
  paddrOffset: bigint;
  /** VA = p_paddr + virtOffset (mod 2^64). */
  virtOffset: bigint;
  /** VA range of the loaded image, [virtKstart, virtKend). */
  virtKstart: bigint;
  virtKend: bigint;
  entry: bigint;
  hypercallPage?: bigint;
  /** INIT_P2M as given by the kernel (the builder decides whether it applies). */
  initP2m?: bigint;
  /** MOD_START_PFN: the initrd may be passed unmapped, by frame number. */
  modStartPfn: boolean;
  pae: PaeMode;
  hvStartLow?: bigint;
  featuresSupported: number;
  featuresRequired: number;
  guestOs: string;
  /** Every note (or legacy key) found, as text, for the CLI and the page. */
  notes: Record<string, string>;
}

interface RawMeta {
  source: XenParams['source'];
  strings: Map<number, string>;
  numbers: Map<number, bigint>;
  notes: Record<string, string>;
  /** Legacy HYPERCALL_PAGE is a page number relative to VIRT_BASE, not a VA. */
  legacyHypercallPage?: bigint;
}

function decodeString(desc: Uint8Array): string {
  let end = desc.indexOf(0);
  if (end < 0) end = desc.length;
  return new TextDecoder().decode(desc.subarray(0, end));
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b.subarray(0, 64), (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Walks one note area; calls `take` for every note owned by "Xen". Returns how many there were. */
function walkNotes(bytes: Uint8Array, start: number, size: number, where: string, take: (type: number, desc: Uint8Array) => void): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = start + size;
  let pos = start;
  let count = 0;
  while (pos + 12 <= end) {
    const namesz = dv.getUint32(pos, true);
    const descsz = dv.getUint32(pos + 4, true);
    const type = dv.getUint32(pos + 8, true);
    const nameAt = pos + 12;
    const descAt = nameAt + ((namesz + 3) & ~3);
    const next = descAt + ((descsz + 3) & ~3);
    if (namesz > size || descsz > size || descAt + descsz > end) {
      throw new LoadError(
        `corrupt ELF note in ${where} at file offset ${hex(pos)}: its name or value runs past the end of the note area (${hex(end)})`,
      );
    }
    const isXen = (namesz === 4 && bytes[nameAt + 3] === 0) || namesz === 3;
    if (isXen && bytes[nameAt] === 0x58 && bytes[nameAt + 1] === 0x65 && bytes[nameAt + 2] === 0x6e) {
      take(type, bytes.subarray(descAt, descAt + descsz));
      count++;
    }
    pos = next;
  }
  return count;
}

function newMeta(source: RawMeta['source']): RawMeta {
  return { source, strings: new Map(), numbers: new Map(), notes: {} };
}

function takeNote(meta: RawMeta, type: number, desc: Uint8Array): void {
  const entry = NOTE_TABLE[type];
  if (!entry) {
    meta.notes[`NOTE_${hex(type)}`] = hexBytes(desc);
    return;
  }
  const [name, kind] = entry;
  if (kind === 'str') {
    const s = decodeString(desc);
    meta.strings.set(type, s);
    meta.notes[name] = s;
  } else if (kind === 'num') {
    if (desc.length !== 4 && desc.length !== 8) {
      throw new LoadError(`Xen ELF note ${name} has a ${desc.length}-byte value; numeric notes are 4 or 8 bytes`);
    }
    const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
    const v = desc.length === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
    meta.numbers.set(type, v);
    meta.notes[name] = hex(v);
  } else {
    meta.notes[name] = hexBytes(desc);
  }
}

/** strtoull(s, NULL, 0): decimal, 0x-hex or 0-octal, stopping at the first foreign character. */
function parseCNumber(s: string, key: string): bigint {
  const t = s.trim();
  const m = /^0[xX]([0-9a-fA-F]+)/.exec(t) ?? /^(0[0-7]*)/.exec(t) ?? /^([1-9][0-9]*)/.exec(t);
  if (!m) throw new LoadError(`__xen_guest: ${key}=${s} is not a number`);
  if (/^0[xX]/.test(t)) return BigInt('0x' + m[1]);
  if (m[1].length > 1 && m[1][0] === '0') return BigInt('0o' + m[1].slice(1));
  return BigInt(m[1]);
}

const LEGACY_STRING_KEYS: Record<string, number> = {
  LOADER: XEN_ELFNOTE_LOADER, GUEST_OS: XEN_ELFNOTE_GUEST_OS, GUEST_VER: XEN_ELFNOTE_GUEST_VERSION,
  XEN_VER: XEN_ELFNOTE_XEN_VERSION, PAE: XEN_ELFNOTE_PAE_MODE, BSD_SYMTAB: XEN_ELFNOTE_BSD_SYMTAB,
  FEATURES: XEN_ELFNOTE_FEATURES,
};
const LEGACY_NUMBER_KEYS: Record<string, number> = {
  VIRT_BASE: XEN_ELFNOTE_VIRT_BASE, VIRT_ENTRY: XEN_ELFNOTE_ENTRY, ELF_PADDR_OFFSET: XEN_ELFNOTE_PADDR_OFFSET,
};

function parseLegacy(text: string): RawMeta {
  const meta = newMeta('__xen_guest');
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (key === '') continue;
    meta.notes[key] = value;
    if (key in LEGACY_STRING_KEYS) {
      meta.strings.set(LEGACY_STRING_KEYS[key], value);
    } else if (key in LEGACY_NUMBER_KEYS) {
      meta.numbers.set(LEGACY_NUMBER_KEYS[key], parseCNumber(value, key));
    } else if (key === 'HYPERCALL_PAGE') {
      meta.legacyHypercallPage = parseCNumber(value, key);
    }
  }
  return meta;
}

/** Finds the Xen metadata in libelf's order; undefined when the image has none at all. */
export function readXenMeta(elf: ElfFile): RawMeta | undefined {
  let meta = newMeta('PT_NOTE');
  let found = 0;
  for (const p of elf.phdrs) {
    if (p.type !== PT_NOTE || p.offset === 0) continue;
    found += walkNotes(elf.bytes, p.offset, p.filesz, `PT_NOTE segment ${p.index}`, (t, d) => takeNote(meta, t, d));
  }
  if (found > 0) return meta;
  meta = newMeta('SHT_NOTE');
  for (const s of elf.shdrs) {
    if (s.type !== SHT_NOTE) continue;
    found += walkNotes(elf.bytes, s.offset, s.size, `note section ${s.index} (${s.name})`, (t, d) => takeNote(meta, t, d));
  }
  if (found > 0) return meta;
  const legacy = elf.shdrs.find((s) => s.name === '__xen_guest' && s.type !== SHT_NOBITS);
  if (legacy) return parseLegacy(decodeString(fileData(elf, legacy)));
  return undefined;
}

/** Parses a FEATURES string: names joined by '|', a leading '!' marks a required feature. */
export function parseFeatures(s: string): { supported: number; required: number } {
  let supported = 0;
  let required = 0;
  for (const raw of s.split('|')) {
    const item = raw.trim();
    if (item === '') continue;
    const req = item.startsWith('!');
    const name = req ? item.slice(1) : item;
    const bit = XENFEAT[name];
    if (bit === undefined) {
      if (req) throw new LoadError(`the kernel requires the unknown Xen feature "${name}" (FEATURES "${s}")`);
      continue; // unknown optional features are ignored, as libelf does
    }
    supported |= 1 << bit;
    if (req) {
      required |= 1 << bit;
      if (name in REFUSED_FEATURES) {
        throw new LoadError(`the kernel requires the Xen feature ${name}, which a PV domU cannot have: ${REFUSED_FEATURES[name]}`);
      }
    }
  }
  return { supported, required };
}

/**
 * PAE mode as libelf reads it: the PAE_MODE note "yes" already means extended-CR3 capable, while
 * the legacy PAE=yes means "yes, but keep the L3 below 4 GiB" (only yes[extended-cr3] is more).
 */
function parsePae(s: string | undefined, legacy: boolean): PaeMode {
  if (s === undefined) return 'no';
  if (s.includes('bimodal')) return 'bimodal';
  if (s === 'yes[extended-cr3]') return 'extended-cr3';
  if (s === 'yes') return legacy ? 'yes' : 'extended-cr3';
  if (legacy && s.startsWith('yes')) return 'yes';
  return 'no';
}

const MASK64 = (1n << 64n) - 1n;

/** Reads and checks the Xen metadata of a parsed ELF; throws LoadError if Xen would refuse it. */
export function parseXenParams(elf: ElfFile): XenParams {
  const meta = readXenMeta(elf);
  if (!meta) {
    throw new LoadError(
      'no Xen ELF notes: this is not a Xen PV kernel (no note owned by "Xen" and no __xen_guest section; missing XEN_ELFNOTE_XEN_VERSION)',
    );
  }
  const str = (t: number) => meta.strings.get(t);
  const xenVersion = str(XEN_ELFNOTE_XEN_VERSION);
  const loader = str(XEN_ELFNOTE_LOADER) ?? '';
  const guestOs = str(XEN_ELFNOTE_GUEST_OS) ?? '';
  const what = meta.source === '__xen_guest' ? 'the __xen_guest string' : 'the Xen ELF notes';
  if (xenVersion === undefined) {
    throw new LoadError(`incomplete Xen metadata: ${what} lack XEN_VERSION (XEN_ELFNOTE_XEN_VERSION), so this is not a Xen PV kernel`);
  }
  if (!xenVersion.startsWith('xen-3.0')) {
    throw new LoadError(`the kernel is built for Xen interface "${xenVersion}"; Xen (and xenwasm) load only "xen-3.0" kernels`);
  }
  if (!loader.startsWith('generic') && !guestOs.startsWith('linux')) {
    throw new LoadError(
      `${what} give LOADER "${loader}" and GUEST_OS "${guestOs}": Xen (and xenwasm) load only images for the "generic" loader or Linux`,
    );
  }

  const pae = parsePae(str(XEN_ELFNOTE_PAE_MODE), meta.source === '__xen_guest');
  let guestType: XenParams['guestType'];
  if (elf.machine === EM_X86_64) {
    guestType = 'pv64';
  } else if (elf.machine === EM_386) {
    if (pae === 'no') {
      throw new LoadError('32-bit kernel without PAE: 64-bit Xen (and xenwasm) run only PAE 32-bit PV kernels (PAE_MODE "yes")');
    }
    guestType = 'pv32';
  } else {
    throw new LoadError(`unsupported ELF machine ${elf.machine}`);
  }

  const features = parseFeatures(str(XEN_ELFNOTE_FEATURES) ?? '');
  const supportedExtra = Number((meta.numbers.get(XEN_ELFNOTE_SUPPORTED_FEATURES) ?? 0n) & 0xffffffffn);

  // Addresses (libelf elf_xen_addr_calc_check).
  const virtBase = meta.numbers.get(XEN_ELFNOTE_VIRT_BASE) ?? 0n;
  const paddrOffset = meta.numbers.get(XEN_ELFNOTE_PADDR_OFFSET) ?? (meta.source === '__xen_guest' ? virtBase : 0n);
  const virtOffset = (virtBase - paddrOffset) & MASK64;
  const loads = loadableSegments(elf);
  if (loads.length === 0) throw new LoadError('ELF has no loadable segment (every PT_LOAD lacks the R, W and X flags)');
  let pstart = loads[0].paddr;
  let pend = 0n;
  for (const p of loads) {
    if (p.paddr + p.memsz > MASK64) {
      throw new LoadError(`corrupt ELF: segment ${p.index} at ${hex(p.paddr)} with size ${hex(p.memsz)} wraps around the address space`);
    }
    if (p.paddr < pstart) pstart = p.paddr;
    if (p.paddr + p.memsz > pend) pend = p.paddr + p.memsz;
  }
  const virtKstart = (pstart + virtOffset) & MASK64;
  const virtKend = virtKstart + (pend - pstart);
  const entry = meta.numbers.get(XEN_ELFNOTE_ENTRY) ?? elf.entry;

  if (virtKstart < virtBase) {
    throw new LoadError(`the image is loaded at ${hex(virtKstart)}, below its VIRT_BASE ${hex(virtBase)}`);
  }
  if (virtKend > MASK64) {
    throw new LoadError(`the image ${hex(virtKstart)}+${hex(pend - pstart)} runs past the top of the address space`);
  }
  if (entry < virtKstart || entry >= virtKend) {
    throw new LoadError(`entry point ${hex(entry)} lies outside the loaded image ${hex(virtKstart)}-${hex(virtKend)}`);
  }
  let hypercallPage = meta.numbers.get(XEN_ELFNOTE_HYPERCALL_PAGE);
  if (meta.legacyHypercallPage !== undefined) hypercallPage = (virtBase + (meta.legacyHypercallPage << 12n)) & MASK64;
  if (hypercallPage !== undefined) {
    // Xen fills the frame holding this VA ((va - VIRT_BASE) >> 12), so an unaligned VA names its page.
    hypercallPage &= ~0xfffn;
    if (hypercallPage < (virtKstart & ~0xfffn) || hypercallPage >= virtKend) {
      throw new LoadError(`HYPERCALL_PAGE ${hex(hypercallPage)} lies outside the loaded image ${hex(virtKstart)}-${hex(virtKend)}`);
    }
  }
  if (guestType === 'pv32' && virtKend > 0x1_0000_0000n) {
    throw new LoadError(`32-bit image ${hex(virtKstart)}-${hex(virtKend)} reaches above 4 GiB`);
  }

  const bsd = str(XEN_ELFNOTE_BSD_SYMTAB);
  if (bsd !== undefined && bsd.startsWith('yes')) {
    meta.notes.BSD_SYMTAB = `${bsd} (ignored: xenwasm does not load the symbol table)`;
  }

  return {
    guestType,
    guestTypeName: guestType === 'pv64' ? 'xen-3.0-x86_64' : 'xen-3.0-x86_32p',
    source: meta.source,
    virtBase,
    paddrOffset,
    virtOffset,
    virtKstart,
    virtKend,
    entry,
    hypercallPage,
    initP2m: meta.numbers.get(XEN_ELFNOTE_INIT_P2M),
    modStartPfn: (meta.numbers.get(XEN_ELFNOTE_MOD_START_PFN) ?? 0n) !== 0n,
    pae,
    hvStartLow: meta.numbers.get(XEN_ELFNOTE_HV_START_LOW),
    featuresSupported: features.supported | supportedExtra,
    featuresRequired: features.required,
    guestOs,
    notes: meta.notes,
  };
}
