// Records a corpus of CPU test vectors from this machine's CPU, from any seed:
//   npm run vectors:record -- --seed 42 --count 100000 --mode 32 --kind forms --out path.jsonl.gz
// Builds the oracle (test/oracle/build.mjs) if needed, streams generated input vectors
// (test/oracle/gen.ts) through it, drops the vectors it had to skip, and writes gzip.
// Prints what it wrote, how many were skipped, rows covered (forms) and the throughput.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { buildOracle } from '../test/oracle/build.mjs';
import { generate, parseArgs } from '../test/oracle/gen.ts';
import { FORMS, rowName } from '../test/oracle/forms.ts';
import { FORMS64 } from '../test/oracle/forms64.ts';

const USAGE = 'usage: npm run vectors:record -- [--seed N] [--count N] [--mode 32|64] [--kind forms|raw|sse|x87|int] [--out FILE.jsonl.gz]';

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) { console.log(USAGE); return; }
  let out: string | undefined;
  const i = argv.indexOf('--out');
  if (i >= 0) {
    out = argv[i + 1];
    if (!out || out.startsWith('--')) throw new Error('--out needs a file name');
    argv.splice(i, 2);
  }
  const { seed, count, kind, mode } = parseArgs(argv);
  out = resolve(out ?? `test/vectors/mode${mode}-${kind}-seed${seed}.jsonl.gz`);
  if (!out.endsWith('.gz')) throw new Error(`--out ${out}: the corpus is written gzip-compressed; name it *.jsonl.gz`);

  const oracle = buildOracle({ quiet: true });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const t0 = performance.now();

  const child = spawn(oracle, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const gzip = createGzip({ level: 9 });
  const file = createWriteStream(tmp);
  gzip.pipe(file);

  // Feed the generator into the oracle, respecting back-pressure.
  const feed = (async () => {
    let buf = '';
    for (const line of generate(kind, seed, count, mode)) {
      buf += line + '\n';
      if (buf.length >= 1 << 16) {
        if (!child.stdin.write(buf)) await once(child.stdin, 'drain');
        buf = '';
      }
    }
    child.stdin.end(buf);
  })();
  child.stdin.on('error', () => { /* the oracle died: reported through its exit status */ });

  let written = 0, skipped = 0;
  const ops = new Set<string>();
  const skips: string[] = [];
  let rest = '';
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    let batch = '';
    for (const line of lines) {
      if (!line) continue;
      if (line.includes('"x_skipped"')) {
        skipped++;
        if (skips.length < 5) skips.push(line.slice(0, 200));
        continue;
      }
      if (kind === 'forms' || kind === 'int') {
        const m = /"x_op":"([^"]*)"/.exec(line);
        if (m) ops.add(rowName(m[1]));
      }
      batch += line + '\n';
      written++;
    }
    if (batch && !gzip.write(batch)) await once(gzip, 'drain');
  }
  if (rest) throw new Error('the oracle ended in the middle of a line');
  await feed;
  const [code, signal] = await exited;
  if (code !== 0) {
    gzip.destroy(); file.destroy();
    try { unlinkSync(tmp); } catch { /* nothing written */ }
    throw new Error(`the oracle failed (${signal ? `signal ${signal}` : `exit status ${code}`})`);
  }
  gzip.end();
  await once(file, 'close');
  renameSync(tmp, out);
  const secs = (performance.now() - t0) / 1000;

  console.log(`wrote ${written} vectors to ${out} (${statSync(out).size} bytes)`);
  if (skipped) console.log(`skipped ${skipped} (the oracle could not run them), e.g.:\n  ${skips.join('\n  ')}`);
  if (kind === 'forms' || kind === 'int') {
    const names = new Set((kind === 'int' ? FORMS64 : FORMS).map((f) => f.name));
    const missing = [...names].filter((n) => !ops.has(n));
    console.log(`forms covered: ${names.size - missing.length} of ${names.size} rows${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  }
  console.log(`${(written + skipped) / secs | 0} vectors/s (${secs.toFixed(1)} s, generate + oracle + gzip)`);
}

main().catch((e) => {
  console.error(`record-vectors: ${(e as Error).message}`);
  process.exit(1);
});
