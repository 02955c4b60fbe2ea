// actors/ is split by concern (engine, explore, verify, stress, trace), each with one entry point:
// code outside a concern imports its index.ts, never its files, and the engine, which every mode
// chooses steps through, imports no other concern at run time (type-only imports are erased).
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const CONCERNS = ['engine', 'explore', 'verify', 'stress', 'trace'];
const SKIP = new Set(['node_modules', '.git', 'hyprace-traces', 'hyprace-report', 'hyprace-coverage', '.scratch']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const concernOf = (path: string) => {
  const [top, concern] = relative(ROOT, path).split('/');
  return top === 'actors' && CONCERNS.includes(concern) ? concern : undefined;
};

interface Import { file: string; target: string; typeOnly: boolean }
function imports(): Import[] {
  const found: Import[] = [];
  for (const file of sources(ROOT)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)(\s+type)?[^;]*?from\s*'(\.{1,2}\/[^']+\.ts)';/gms)) {
      found.push({ file, target: normalize(join(dirname(file), m[2])), typeOnly: Boolean(m[1]) });
    }
  }
  return found;
}

describe('actors/ by concern', () => {
  const all = imports();

  it('finds the imports it checks (the scan is not empty)', () => {
    expect(all.filter((i) => concernOf(i.target)).length).to.be.greaterThan(100);
  });

  it('code outside a concern imports only its entry point (index.ts)', () => {
    const bad = all.filter((i) => {
      const c = concernOf(i.target);
      return c && concernOf(i.file) !== c && i.target !== join(ROOT, 'actors', c, 'index.ts');
    });
    expect(bad.map((i) => `${relative(ROOT, i.file)} -> ${relative(ROOT, i.target)}`)).to.deep.equal([]);
  });

  it('the engine imports no other concern at run time', () => {
    const bad = all.filter((i) => concernOf(i.file) === 'engine' && !i.typeOnly && concernOf(i.target) && concernOf(i.target) !== 'engine');
    expect(bad.map((i) => `${relative(ROOT, i.file)} -> ${relative(ROOT, i.target)}`)).to.deep.equal([]);
  });
});
