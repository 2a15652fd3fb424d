// `xenwasm vectors FILE...`: replays CPU test vectors (shared/test-vectors.md, .jsonl or .jsonl.gz)
// on the interpreter and compares them with what the real CPU recorded. Prints one line per
// mismatch (where, id, code bytes, mnemonic, field, expected, actual) and ends with the plain line
// `N passed, M failed`. Exit 0 only when M is 0; 2 when a file cannot be read or parsed.
import { Command } from 'commander';
import { replayFiles } from '../../workers/vectors/runner.ts';
import { bytesToHex, VectorFormatError } from '../../workers/vectors/format.ts';

export function register(program: Command): void {
  program
    .command('vectors')
    .description('replay CPU test vectors recorded on a real x86 and report every mismatch')
    .argument('<files...>', 'vector files (.jsonl or .jsonl.gz)')
    .option('--max-report <n>', 'print at most this many mismatching vectors', (v) => Number(v), 200)
    .action(async (files: string[], opts: { maxReport: number }) => {
      let reported = 0;
      try {
        const t0 = performance.now();
        const s = await replayFiles(files, (o, where) => {
          if (reported++ >= opts.maxReport) return;
          const v = o.vector;
          const head = `${where} ${v.id} [${bytesToHex(v.code)}]${v.op ? ` ${v.op}` : ''}`;
          for (const m of o.mismatches) console.log(`${head} ${m.field}: expected ${m.expected}, got ${m.actual}`);
        });
        const secs = (performance.now() - t0) / 1000;
        if (reported > opts.maxReport) console.log(`(${reported - opts.maxReport} more mismatching vectors not shown)`);
        console.error(`replayed ${s.passed + s.failed} vectors in ${secs.toFixed(1)} s${s.skipped ? `; ${s.skipped} had no recorded result and were skipped` : ''}`);
        console.log(`${s.passed} passed, ${s.failed} failed`);
        process.exitCode = s.failed === 0 ? 0 : 1;
      } catch (e) {
        if (e instanceof VectorFormatError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
          console.error(`xenwasm: ${(e as Error).message}`);
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}
