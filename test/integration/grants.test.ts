// The host's backend side of grant tables against a real guest: test-grants booted with
// "grant-host" grants one page writable and one read-only to dom0; the host (this test, through
// Vm.grants, as a backend in the worker would) maps them, reads what the guest wrote, writes a
// reply, and unmaps. The guest sees GTF_reading / GTF_writing in its entries while they are mapped,
// checks the reply after the unmap, and ends with `Test result: SUCCESS`.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Vm } from '../../workers/vm.ts';
import type { DomainExit } from '../../workers/api.ts';
import {
  GrantError, GNTST_general_error, GNTST_bad_domain, type ReadonlyGrantMapping, type WritableGrantMapping,
} from '../../workers/backends/grants.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const GRANTED = /ref (\d+) \(writable, frame 0x([0-9a-f]+)\) and ref (\d+) \(read-only, frame 0x([0-9a-f]+)\) granted to d0/;
const REPLY = 'hello domU, dom0 read your page';
const REPLY_AT = 2048;

const text = (bytes: ArrayLike<number>) => new TextDecoder().decode(Uint8Array.from(bytes)).replace(/\0[\s\S]*$/, '');

function refusal(f: () => unknown): number | string {
  try {
    f();
    return 'mapped';
  } catch (e) {
    return e instanceof GrantError ? e.status : String(e);
  }
}

describe('grant tables between a guest and the host backend', () => {
  for (const type of ['pv32', 'pv64'] as const) {
    it(`maps the guest's grants, reads its page, writes a reply and unmaps (${type})`, async () => {
      const vm = new Vm();
      let out = '';
      let rw: WritableGrantMapping | undefined;
      let ro: ReadonlyGrantMapping | undefined;
      let printed: { rwFrame: number; roFrame: number } | undefined;
      const seen: Record<string, unknown> = {};
      let unmapped = false;
      let done!: (e: DomainExit) => void;
      const exit = new Promise<DomainExit>((r) => (done = r));
      const image = `test-grants-${type}.elf`;
      await vm.create(
        { name: image, kernel: readFileSync(IMAGES + image), memory: 32, clock: 'deterministic', extra: 'grant-host', maxInstructions: 400_000_000 },
        {
          onConsole(bytes) {
            out += new TextDecoder().decode(bytes);
            const m = GRANTED.exec(out);
            const t = vm.grants;
            if (m && !rw) {
              printed = { rwFrame: parseInt(m[2], 16), roFrame: parseInt(m[4], 16) };
              rw = t.map(t.domid, Number(m[1]));
              ro = t.map(t.domid, Number(m[3]), { readonly: true });
              seen.guestText = text(rw.bytes.slice(0, 64));
              seen.roText = text(ro.bytes.slice(0, 64));
              seen.roWritable = refusal(() => t.map(t.domid, Number(m[3])));
              seen.otherDomain = refusal(() => t.map(t.domid + 1, Number(m[1])));
            }
            if (rw && ro && !unmapped && out.includes('both mapped by the host')) {
              rw.bytes.set(new TextEncoder().encode(REPLY + '\0'), REPLY_AT);
              t.unmap(rw);
              t.unmap(ro);
              seen.mappingsLeft = t.mappings;
              unmapped = true;
            }
          },
          onExit: done,
        },
      );
      await vm.start();
      const e = await exit;
      await vm.destroy();
      const verdict = /Test result: .*/.exec(out)?.[0] ?? `no verdict; exit ${JSON.stringify(e)}; output: ${out.slice(-600)}`;
      expect(verdict).toBe('Test result: SUCCESS');
      expect(e).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
      expect(out).toContain('the host\'s reply in the writable page: "hello domU, dom0 read your page"');
      expect([rw?.frame, ro?.frame]).toEqual([printed?.rwFrame, printed?.roFrame]);
      expect(seen).toEqual({
        guestText: "hello dom0, this is the guest's page",
        roText: 'read-only text for dom0',
        roWritable: GNTST_general_error,
        otherDomain: GNTST_bad_domain,
        mappingsLeft: 0,
      });
    }, 120_000);
  }
});
