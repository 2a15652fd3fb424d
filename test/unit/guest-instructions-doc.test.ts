// docs/guest-instructions.md (scripts/gen-guest-instructions.ts) lists every instruction of Debian's
// busybox-static and Linux 6.1 kernel with what the core does with it. Always: each row that is not
// implemented states its reason, the script's own. With the Debian packages in .cache/debian (CI
// fetches them first, .ci/run): the file is what the script makes now, so it cannot fall behind the
// interpreter, the CPUID, or a new Debian kernel.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  DOC, cachedGuestPackages, parseGuestDoc, reasonFor, renderGuestDoc, scanGuests, type GuestRow,
} from '../../scripts/gen-guest-instructions.ts';

const committed = readFileSync(DOC, 'utf8');
const rows = parseGuestDoc(committed);
const pkgs = cachedGuestPackages();
const canScan = pkgs !== null || process.env.CI === 'true';
if (!canScan) console.log('guest-instructions regeneration skipped: no Debian kernel and busybox-static in .cache/debian (fetch them with: npx tsx scripts/debian-guest.ts)');

describe('docs/guest-instructions.md', () => {
  it('lists the mnemonics of both guests with their counts and a known status', () => {
    expect(rows.length).toBeGreaterThan(200);
    for (const r of rows) expect(['implemented', 'not offered', 'partial', 'unimplemented']).toContain(r.status);
    const get = (m: string) => rows.find((r) => r.mnemonic === m);
    expect(get('mov')!.busybox).toBeGreaterThan(1000);
    expect(get('mov')!.vmlinux).toBeGreaterThan(10000);
    expect(get('mov')!.status).toBe('implemented');
    expect(get('syscall')!.status).toBe('implemented');
  });

  it('states a reason for every instruction that is not implemented, the one the script gives for it', () => {
    const not = rows.filter((r) => r.status !== 'implemented');
    const missing = not.filter((r) => !r.note || r.note === 'NO REASON GIVEN' || !reasonFor(r.mnemonic));
    expect(missing.map((r) => r.mnemonic)).toEqual([]);
    for (const r of not) expect(r.note.startsWith(reasonFor(r.mnemonic)) || r.note.includes(reasonFor(r.mnemonic)), r.mnemonic).toBe(true);
  });

  it.skipIf(!canScan)('is what `npm run docs:guest-instructions` makes from the cached packages and the current core', async () => {
    expect(pkgs, 'CI must fetch the Debian packages before the tests (.ci/run runs scripts/debian-guest.ts)').not.toBeNull();
    const scan = await scanGuests();
    const fresh = renderGuestDoc(scan);
    if (committed.includes(`\`${scan.kernelDeb}\``) && committed.includes(`\`${scan.busyboxDeb}\``)) {
      expect(fresh === committed, 'docs/guest-instructions.md is stale: run `npm run docs:guest-instructions`').toBe(true);
      return;
    }
    // Another Debian build than the committed file's: the statuses must still agree, and every new
    // instruction that does not run must have a reason.
    console.log(`guest-instructions: the cache holds ${scan.kernelDeb} / ${scan.busyboxDeb}, not the packages of the committed file; comparing statuses only`);
    const old = new Map(rows.map((r) => [r.mnemonic, r.status]));
    const differ = scan.rows.filter((r: GuestRow) => old.has(r.mnemonic) && old.get(r.mnemonic) !== r.status).map((r) => r.mnemonic);
    expect(differ, 'statuses changed: run `npm run docs:guest-instructions`').toEqual([]);
    expect(scan.rows.filter((r) => r.status !== 'implemented' && !r.note).map((r) => r.mnemonic)).toEqual([]);
  }, 300_000);
});
