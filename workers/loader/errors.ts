// LoadError: the one error type the kernel loader and the domain builder throw. Its message is a
// single line naming the cause (what is wrong, where in the file, what xenwasm expects), fit to be
// shown to a user as is. Also the small number formatters those messages share.

export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

/** 0x-prefixed lower-case hex, for addresses, offsets and sizes in messages. */
export function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

/** Bytes as MiB, rounded up, for memory-size messages. */
export function mib(bytes: number | bigint): number {
  const b = BigInt(bytes);
  return Number((b + 0xfffffn) >> 20n);
}
