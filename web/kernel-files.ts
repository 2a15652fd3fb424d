// The user's own kernel: files dropped on a domain or chosen with its Kernel… / Ramdisk… inputs.
// Which dropped file is the kernel is decided by its first bytes (an ELF, or a Linux bzImage with
// "HdrS" at 0x202, as the boot protocol places it), then by name; the loader in the worker has the
// last word, and its error names the cause. At most one kernel and one ramdisk; files are read
// asynchronously (File.arrayBuffer), never on a path that blocks the page.

export interface KernelFiles {
  kernel: File;
  ramdisk?: File;
}

/** An ELF image, or a bzImage (boot protocol: "HdrS" at offset 0x202). */
export function looksLikeKernel(head: Uint8Array): boolean {
  const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  const hdrs = head.length >= 0x206 && String.fromCharCode(...head.subarray(0x202, 0x206)) === 'HdrS';
  return elf || hdrs;
}

/** A bzImage: Linux wants more memory than our demo guests. */
export function looksLikeBzImage(head: Uint8Array): boolean {
  return head.length >= 0x206 && String.fromCharCode(...head.subarray(0x202, 0x206)) === 'HdrS';
}

const RAMDISK_NAME = /initr(d|amfs)|cpio|rootfs|ramdisk/i;

export async function head(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.slice(0, 0x210).arrayBuffer());
}

/** Sorts dropped files into a kernel and an optional ramdisk; a one-line Error when it cannot. */
export async function sortDropped(files: readonly File[]): Promise<KernelFiles> {
  if (files.length === 0) throw new Error('nothing to boot: the drop held no files');
  if (files.length > 2) {
    throw new Error(`drop one kernel, or a kernel and its ramdisk: got ${files.length} files (${files.map((f) => f.name).join(', ')})`);
  }
  if (files.length === 1) return { kernel: files[0] };
  const [a, b] = files;
  const [ka, kb] = await Promise.all([head(a), head(b)].map((p) => p.then(looksLikeKernel)));
  if (ka !== kb) return ka ? { kernel: a, ramdisk: b } : { kernel: b, ramdisk: a };
  // Both or neither look like kernels: the name decides, else the order.
  if (RAMDISK_NAME.test(a.name) && !RAMDISK_NAME.test(b.name)) return { kernel: b, ramdisk: a };
  return { kernel: a, ramdisk: b };
}

export async function readBytes(file: File): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new Error(`${file.name}: the file is empty`);
  return bytes;
}

/** The files a DataTransfer carries, or none (text, links). */
export function droppedFiles(dt: DataTransfer | null): File[] {
  return dt ? [...dt.files] : [];
}

/** Whether a drag carries files (types lists "Files" while dragging, before the drop). */
export function dragHasFiles(dt: DataTransfer | null): boolean {
  return !!dt && [...dt.types].includes('Files');
}
