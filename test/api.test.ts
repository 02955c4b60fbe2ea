// Built-in scenarios are written against the public API: they reach the engine only through
// api.ts (their own domain modules, host/ and machines/, are theirs to use), which is what makes
// the API enough for a user's own file.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../scenarios/', import.meta.url);

describe('public API', () => {
  it('is the only way built-in scenarios reach the engine (actors/, cli/, report/)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).to.be.greaterThan(2);
    for (const f of files) {
      const source = readFileSync(new URL(f, dir), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      const engine = imports.filter((i) => /^\.\.\/(actors|cli|report)\//.test(i) && !(f === 'index.ts' && i === '../actors/scenario-loader.ts'));
      expect(engine, `${f} imports the engine directly`).to.deep.equal([]);
    }
  });
});
