// The `xenwasm` command line without a guest running: help, usage errors and unreadable files all
// end before a domain exists, with exit code 0 (help) or 2 and one line on stderr.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const xenwasm = (...args: string[]) =>
  spawnSync(process.execPath, ['cli/xenwasm.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

describe('xenwasm command line', () => {
  it('lists the run command in --help and exits 0', () => {
    const r = xenwasm('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: xenwasm /);
    expect(r.stdout).toMatch(/\n\s+run \[options\] \[kernel\]/);
  });

  it('documents every run option', () => {
    const r = xenwasm('run', '--help');
    expect(r.status).toBe(0);
    for (const opt of ['--memory <MiB>', '--cmdline <string>', '--max-instructions <n>', '--stats', '--clock <kind>',
      '--profile', '--trace <file.json>', '--profile-clock <clock>']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('exits 2 with one line for an unknown command', () => {
    const r = xenwasm('boot');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^xenwasm: unknown command 'boot'/);
  });

  it('exits 2 with one line for a malformed --memory', () => {
    const r = xenwasm('run', '--memory', '12abc');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("xenwasm: option '--memory <MiB>' argument '12abc' is invalid. expected a whole number from 1 to 2047\n");
  });

  it('exits 2 with one line for a --memory beyond what a domain can have', () => {
    const r = xenwasm('run', '--memory', '4096');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^xenwasm: option '--memory <MiB>' argument '4096' is invalid\. expected a whole number from 1 to 2047\n$/);
  });

  it('exits 2 with one line for an unknown option', () => {
    const r = xenwasm('run', '--memroy', '64');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^xenwasm: unknown option '--memroy'/);
  });

  it('exits 2 naming the file when the kernel does not exist', () => {
    const r = xenwasm('run', 'no/such/kernel.elf');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('xenwasm: no/such/kernel.elf: no such file\n');
  });

  it('exits 2 naming the file when the kernel is a directory', () => {
    const r = xenwasm('run', 'guests');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('xenwasm: guests: is a directory\n');
  });
});
