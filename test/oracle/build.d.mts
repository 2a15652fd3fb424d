// Types for build.mjs (a plain Node script so that `node test/oracle/build.mjs` needs no loader).
export declare const ORACLE_BIN: string;
export declare function buildOracle(opts?: { force?: boolean; quiet?: boolean }): string;
