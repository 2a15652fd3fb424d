// Types for build.mjs (a plain Node script, so `node guests/build.mjs` needs no loader). bench/peers
// imports the compiler flags to build the same workload for v86, QEMU and native Linux.
export interface GuestTypeFlags {
  cflags: string[];
  ld: string[];
  script: string;
  start: string;
  elfClass: number;
  machine: number;
}
export declare const CFLAGS: readonly string[];
export declare const TYPES: Readonly<Record<'pv32' | 'pv64', GuestTypeFlags>>;
export declare const COMMON_SOURCES: readonly string[];
