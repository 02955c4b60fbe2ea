// The guide says nothing the code does not do: every code excerpt it shows is in the file it
// names, and every command it shows prints what it shows (times, trace hashes and table padding
// aside), run again here. docs/verify.md is held to the same.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hyprace } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

const root = new URL('../', import.meta.url);
const DOCS = ['docs/guide.md', 'docs/verify.md'];

interface Shown {
  command: string[];
  output: string;
}

function blocks(doc: string, lang: string): string[] {
  return [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** The commands of a doc's console blocks, each with the output shown under it. */
function commands(doc: string): Shown[] {
  const out: Shown[] = [];
  for (const block of blocks(doc, 'console')) {
    for (const line of block.split('\n')) {
      if (line.startsWith('$ ')) {
        const words = line.slice(2).split(/\s+/);
        expect(words.slice(0, 2), line).to.deep.equal(['npx', 'hyprace']);
        out.push({ command: words.slice(2), output: '' });
      } else if (out.length) out[out.length - 1].output += `${line}\n`;
    }
  }
  return out;
}

/** What may differ from run to run: times, trace hashes, where traces go, column padding. */
function normalize(text: string, traceDir: string): string {
  return text
    .split(traceDir)
    .join('hyprace-traces')
    .replace(/\b\d[\d,]*(\.\d+)? (ms|s)\b/g, 'T')
    .replace(/-[0-9a-f]{8}\.trace\.json/g, '-H.trace.json')
    .split('\n')
    // A table's rule under its headers is as wide as its widest cell (a time of 10 s or more).
    .map((l) => l.replace(/-{2,}/g, '-').replace(/\s+/g, ' ').trim())
    .filter((l) => l.length)
    .join('\n');
}

describe('the guide and docs/verify.md', function () {
  this.timeout(900_000);

  it('show code excerpts found, as shown, in the files they name', () => {
    let excerpts = 0;
    for (const doc of DOCS) {
      for (const block of blocks(readFileSync(new URL(doc, root), 'utf8'), 'ts')) {
        const [first, ...rest] = block.trimEnd().split('\n');
        const file = /^\/\/ ([\w./-]+\.ts)\b/.exec(first)?.[1];
        expect(file, `${doc}: an excerpt names its file first: ${first}`).to.be.a('string');
        const source = readFileSync(new URL(file!, root), 'utf8').split('\n').map((l) => l.trim());
        const lines = rest.map((l) => l.trim());
        const at = source.findIndex((_, i) => lines.every((l, k) => source[i + k] === l));
        expect(at, `${doc}: excerpt of ${file} not found as shown:\n${rest.join('\n')}`).to.be.at.least(0);
        excerpts++;
      }
    }
    expect(excerpts).to.be.at.least(6);
  });

  for (const doc of DOCS) {
    it(`${doc}: every command prints what it shows`, () => {
      const shown = commands(readFileSync(new URL(doc, root), 'utf8'));
      expect(shown.length).to.be.greaterThan(0);
      const traceDir = tempDir();
      for (const { command, output } of shown) {
        const args = [...command];
        const [verb] = args;
        // A trace shown in the doc is the one this run wrote under the same name.
        if (verb === 'replay') {
          const stem = args[1].replace(/^hyprace-traces\//, '').replace(/-[0-9a-f]{8}\.trace\.json$/, '');
          const file = readdirSync(traceDir).find((f) => f.startsWith(`${stem}-`) && f.endsWith('.trace.json'));
          expect(file, `a trace ${stem}-*.trace.json written by an earlier command of ${doc}`).to.be.a('string');
          args[1] = join(traceDir, file!);
        }
        if (['explore', 'verify', 'check'].includes(verb)) args.push('--trace-dir', traceDir);
        // Shrinking and verify run to completion, whatever the machine's load (check's table shows
        // no shrinking).
        if (['explore', 'verify'].includes(verb) && !args.includes('--no-shrink')) args.push('--shrink-time', '600');
        if (verb === 'verify' && !args.includes('--time')) args.push('--time', '3600');
        // The examples the docs run are type-checked by npm test's tsc (tsconfig.json includes
        // examples/), and the check of a user's file by test/user-files.test.ts: not again by each
        // command here (about 5 s of CPU each).
        args.push('--no-typecheck');
        const r = hyprace(args);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('hyprace:')), `${args.join(' ')}: ${r.stderr}`).to.deep.equal([]);
        expect(normalize(r.stdout, traceDir), `hyprace ${command.join(' ')}`).to.equal(normalize(output, traceDir));
      }
    });
  }
});
