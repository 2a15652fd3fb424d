// The demo guests the page offers: every kernel image in guests/images/ (listed at build time by the
// xenwasm-guest-images plugin in vite.config.ts, so a newly built guest appears without editing this
// file), fetched byte for byte from /guests/<file>. Known guests get a friendly label.
import guestFiles from 'virtual:xenwasm-guests';

export interface GuestImage {
  /** File name without its .elf extension, e.g. "hello-pv32". */
  id: string;
  /** The file name in guests/images/. */
  file: string;
  /** What the picker shows. */
  label: string;
  /** Where the page fetches the image from. */
  url: string;
}

/** The guest booted when the page opens. */
export const DEFAULT_GUEST = 'hello-pv32';

const LABELS: Record<string, string> = {
  'hello-pv32': 'hello-pv32 (32-bit PV)',
  'hello-pv64': 'hello-pv64 (64-bit PV)',
  'hello-raw-pv32': 'hello-raw-pv32 (32-bit, raw hypercalls)',
  'hello-raw-pv64': 'hello-raw-pv64 (64-bit, raw hypercalls)',
};

export function listGuests(files: readonly string[] = guestFiles): GuestImage[] {
  const guests = files.map((file) => {
    const id = file.replace(/\.elf$/i, '');
    return { id, file, label: LABELS[id] ?? id, url: `${import.meta.env.BASE_URL}guests/${encodeURIComponent(file)}` };
  });
  // The default first, then the known guests in LABELS order, then the rest by name.
  const rank = (g: GuestImage) => (g.id === DEFAULT_GUEST ? -1 : g.id in LABELS ? Object.keys(LABELS).indexOf(g.id) : 1e6);
  return guests.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/** Fetches a guest image; a missing or empty file is a clear error. */
export async function fetchGuest(guest: GuestImage): Promise<Uint8Array> {
  const res = await fetch(guest.url);
  if (!res.ok) throw new Error(`cannot fetch guest image ${guest.file}: HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length === 0) throw new Error(`guest image ${guest.file} is empty`);
  return bytes;
}
