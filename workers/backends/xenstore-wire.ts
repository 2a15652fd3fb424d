// The xenstore wire format (Xen's public/io/xs_wire.h, xen-pv-abi.md 5.2): message type numbers,
// the errno names an ERROR reply carries, the 16-byte header {type, req_id, tx_id, len} and the
// protocol limits. Payloads are byte strings; paths and tokens are NUL-terminated ASCII, values
// are raw bytes. Invariant: every message built here has len <= XENSTORE_PAYLOAD_MAX.

export const XS_CONTROL = 0;
export const XS_DIRECTORY = 1;
export const XS_READ = 2;
export const XS_GET_PERMS = 3;
export const XS_WATCH = 4;
export const XS_UNWATCH = 5;
export const XS_TRANSACTION_START = 6;
export const XS_TRANSACTION_END = 7;
export const XS_INTRODUCE = 8;
export const XS_RELEASE = 9;
export const XS_GET_DOMAIN_PATH = 10;
export const XS_WRITE = 11;
export const XS_MKDIR = 12;
export const XS_RM = 13;
export const XS_SET_PERMS = 14;
export const XS_WATCH_EVENT = 15;
export const XS_ERROR = 16;
export const XS_IS_DOMAIN_INTRODUCED = 17;
export const XS_RESUME = 18;
export const XS_SET_TARGET = 19;
export const XS_RESET_WATCHES = 21;
export const XS_DIRECTORY_PART = 22;
export const XS_GET_FEATURE = 23;
export const XS_SET_FEATURE = 24;
export const XS_GET_QUOTA = 25;
export const XS_SET_QUOTA = 26;

/** The errno names of xs_wire.h's xsd_errors, the only ones an ERROR reply may carry. */
export const XS_ERRNOS = [
  'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO', 'ENOTEMPTY', 'ENOSYS',
  'EROFS', 'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
] as const;
export type XsErrno = (typeof XS_ERRNOS)[number];

/** A request that failed: answered with an ERROR message carrying `errno`. */
export class XsError extends Error {
  constructor(readonly errno: XsErrno, message: string = errno) {
    super(message);
    this.name = 'XsError';
  }
}

export const XS_HEADER_SIZE = 16;
/** Largest payload of one message (XENSTORE_PAYLOAD_MAX). */
export const XENSTORE_PAYLOAD_MAX = 4096;
/** Longest absolute path, and longest relative path as the guest sends it. */
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;

export interface XsMessage {
  type: number;
  reqId: number;
  txId: number;
  payload: Uint8Array;
}

/** The message as it goes on the ring: header (little-endian u32s) then payload. */
export function encodeMessage(m: XsMessage): Uint8Array {
  if (m.payload.length > XENSTORE_PAYLOAD_MAX) throw new Error(`xenstore message of ${m.payload.length} bytes exceeds ${XENSTORE_PAYLOAD_MAX}`);
  const out = new Uint8Array(XS_HEADER_SIZE + m.payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, m.type, true);
  v.setUint32(4, m.reqId, true);
  v.setUint32(8, m.txId, true);
  v.setUint32(12, m.payload.length, true);
  out.set(m.payload, XS_HEADER_SIZE);
  return out;
}

/** Reads a header; the payload is the `len` bytes after it (the caller checks they are there). */
export function decodeHeader(bytes: Uint8Array): { type: number; reqId: number; txId: number; len: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, XS_HEADER_SIZE);
  return { type: v.getUint32(0, true), reqId: v.getUint32(4, true), txId: v.getUint32(8, true), len: v.getUint32(12, true) };
}

/** ASCII bytes of a string (paths, tokens, numbers); values use UTF-8 through `utf8`. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Strings each followed by a NUL, concatenated ("OK\0", "path\0token\0"). */
export function nulStrings(...parts: string[]): Uint8Array {
  return ascii(parts.map((p) => p + '\0').join(''));
}

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder().decode(b),
};

/**
 * Splits a payload made of exactly `count` NUL-terminated strings (EINVAL otherwise, as xenstored's
 * onearg/get_strings do); with `rest`, the bytes after the strings are returned too (WRITE's value).
 */
export function splitArgs(payload: Uint8Array, count: number, rest = false): { args: string[]; tail: Uint8Array } {
  const args: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const nul = payload.indexOf(0, at);
    if (nul < 0) throw new XsError('EINVAL', `argument ${i + 1} of ${count} is not NUL-terminated`);
    args.push(latin1(payload.subarray(at, nul)));
    at = nul + 1;
  }
  if (!rest && at !== payload.length) throw new XsError('EINVAL', `${payload.length - at} stray bytes after ${count} argument(s)`);
  return { args, tail: payload.subarray(at) };
}
