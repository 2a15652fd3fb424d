#!/usr/bin/env node
// Builds the hardware oracle (test/oracle/*.c) with the machine's gcc into build/oracle/oracle.
// Rebuilds only when a source is newer than the binary (or with --force). x86-64 Linux only:
// the oracle runs instruction bytes natively. Prints the binary's path on success.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arch, platform } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
export const ORACLE_BIN = join(root, 'build', 'oracle', 'oracle');

export function buildOracle({ force = false, quiet = false } = {}) {
  if (platform() !== 'linux' || arch() !== 'x64')
    throw new Error(`the oracle runs code natively and needs x86-64 Linux (this is ${platform()}/${arch()})`);
  const sources = readdirSync(here).filter((f) => f.endsWith('.c') || f.endsWith('.h')).map((f) => join(here, f));
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!force && existsSync(ORACLE_BIN) && statSync(ORACLE_BIN).mtimeMs >= newest) return ORACLE_BIN;
  mkdirSync(dirname(ORACLE_BIN), { recursive: true });
  const args = ['-O2', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fPIE', '-pie',
    '-fno-stack-protector', '-fcf-protection=none', '-o', ORACLE_BIN,
    ...sources.filter((f) => f.endsWith('.c'))];
  try {
    execFileSync('gcc', args, { stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit' });
  } catch (e) {
    const detail = e.code === 'ENOENT' ? 'gcc not found (apt-get install gcc)' : String(e.stderr ?? e.message).trim();
    throw new Error(`building the oracle failed: ${detail}`);
  }
  return ORACLE_BIN;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(buildOracle({ force: process.argv.includes('--force') }));
  } catch (e) {
    console.error(`build-oracle: ${e.message}`);
    process.exit(1);
  }
}
