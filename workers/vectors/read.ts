// Streams test vectors from .jsonl and .jsonl.gz files (Node only: node:fs, node:zlib); the format
// itself lives in format.ts. One JSON object per line; blank lines are skipped. Errors name the
// file and the line: "path:12: vector g7: exc.vec must be an integer 0..255".
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { parseVector, VectorFormatError, type Vector } from './format.ts';

export interface VectorLine { file: string; line: number; text: string }
export interface VectorEntry { file: string; line: number; vector: Vector }

/** The raw lines of one vector file; a name ending in .gz is gunzipped on the fly. */
export async function* readVectorLines(path: string): AsyncGenerator<VectorLine> {
  const raw = createReadStream(path);
  let input: Readable = raw;
  if (path.endsWith('.gz')) {
    input = raw.pipe(createGunzip());
    raw.on('error', (e) => input.destroy(e));
  }
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      yield { file: path, line, text };
    }
  } catch (e) {
    throw new VectorFormatError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/** Every vector of every file, in order. Throws VectorFormatError naming file:line on bad input. */
export async function* readVectorFiles(paths: string[]): AsyncGenerator<VectorEntry> {
  for (const file of paths) {
    for await (const { line, text } of readVectorLines(file)) {
      try {
        yield { file, line, vector: parseVector(text) };
      } catch (e) {
        if (e instanceof VectorFormatError) throw new VectorFormatError(`${file}:${line}: ${e.message}`);
        throw e;
      }
    }
  }
}
