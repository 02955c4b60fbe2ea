// The public API is what built-in scenarios and users' files import: 'hyprace' and the subpaths
// package.json "exports" names. Built-in scenarios reach nothing else (their own files in
// scenarios/ aside), every public name is documented, and the entry points resolve alike at run
// time (package.json, the loader hook) and in type checks (tsconfig, the user-file check).
import { expect } from 'chai';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { firstSourceError } from '../cli/typecheck.ts';
import { tempDir } from './temp-dirs.ts';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, string> };
/** Specifier -> file, e.g. 'hyprace/vmid' -> '/.../api/vmid.ts'. */
const entries = Object.fromEntries(Object.entries(pkg.exports).map(([k, f]) => [k === '.' ? 'hyprace' : `hyprace/${k.slice(2)}`, fileURLToPath(new URL(f, root))]));

describe('public API', function () {
  this.timeout(120_000);
  it('is all built-in scenarios import: public entry points, or their own files in scenarios/', () => {
    const dir = new URL('scenarios/', root);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    expect(files.length).to.be.greaterThan(6);
    const local = new Set(files.map((f) => `./${f}`));
    let publicImports = 0;
    for (const f of files) {
      const source = readFileSync(new URL(f, dir), 'utf8');
      const imports = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?from '([^']+)'/gm)].map((m) => m[1]);
      for (const i of imports) {
        expect(i in entries || local.has(i), `${f} imports '${i}', which is neither public nor a scenario file`).to.equal(true);
        if (i in entries) publicImports++;
      }
    }
    expect(publicImports).to.be.greaterThan(files.length);
  });

  it('names each entry point alike in package.json, tsconfig.json and the type check of users files', async () => {
    const tsconfig = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    for (const [spec, file] of Object.entries(entries)) {
      const viaPaths = spec === 'hyprace' ? tsconfig.compilerOptions.paths.hyprace[0] : tsconfig.compilerOptions.paths['hyprace/*'][0].replace('*', spec.slice('hyprace/'.length));
      expect(fileURLToPath(new URL(viaPaths, root)), spec).to.equal(file);
    }
    const dir = tempDir();
    const user = join(dir, 'uses-every-entry.ts');
    writeFileSync(user, Object.keys(entries).map((s, i) => `import * as m${i} from '${s}';\nexport const n${i}: number = Object.keys(m${i}).length;\n`).join(''));
    expect(await firstSourceError(user)).to.equal(null);
    const deep = join(dir, 'deep.ts');
    writeFileSync(deep, `import { PhysCpus } from 'hyprace/host/cpu.ts';\nexport const p = PhysCpus;\n`);
    expect((await firstSourceError(deep))?.text).to.match(/Cannot find module 'hyprace\/host\/cpu\.ts'/);
  });

  it('documents every name it exports', () => {
    const files = Object.values(entries);
    const program = ts.createProgram(files, { allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true });
    const checker = program.getTypeChecker();
    const missing: string[] = [];
    let names = 0;
    for (const [spec, file] of Object.entries(entries)) {
      const source = program.getSourceFile(file)!;
      const moduleSymbol = checker.getSymbolAtLocation(source)!;
      for (const exported of checker.getExportsOfModule(moduleSymbol)) {
        names++;
        const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        if (!ts.displayPartsToString(target.getDocumentationComment(checker)).trim()) missing.push(`${spec}: ${exported.name}`);
      }
    }
    expect(names).to.be.greaterThan(150);
    expect(missing, 'exported without a doc comment').to.deep.equal([]);
  });
});
