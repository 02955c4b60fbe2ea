// Type-checks a user's scenario file with the TypeScript compiler before it runs, so a type
// error is reported as such (tsx, which runs the file, strips types without checking them).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type TS from 'typescript';

const ROOT = new URL('../', import.meta.url);
const MODULES = fileURLToPath(new URL('node_modules', ROOT));

/** 'hyprace' and each subpath package.json exports ('hyprace/vmid', ...), to the file it names. */
function publicEntries(): Record<string, string[]> {
  const exports = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { exports: Record<string, string> }).exports;
  return Object.fromEntries(Object.entries(exports).map(([k, file]) => [k === '.' ? 'hyprace' : `hyprace/${k.slice(2)}`, [fileURLToPath(new URL(file, ROOT))]]));
}

export interface SourceError {
  kind: 'syntax' | 'type';
  /** "file:line:col: message". */
  text: string;
}

/** The first error in `file`, or null if it parses and type-checks. */
export async function firstSourceError(file: string): Promise<SourceError | null> {
  // Loaded here, not at the top: the compiler takes most of a second to load, and only users'
  // files are checked (every command would otherwise pay it, built-in scenarios included).
  // Required, not imported: through the ESM loader (and tsx's hooks) its 9 MB of CommonJS cost
  // three times the CPU to load (about 1.8 s instead of 0.6 s).
  const ts = createRequire(import.meta.url)('typescript') as typeof TS;
  const options: TS.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    types: ['node'],
    typeRoots: [`${MODULES}/@types`],
    baseUrl: dirname(file),
    // As at run time (actors/engine/hooks/resolve-hyprace.mjs): 'hyprace' and its subpaths are the
    // public API, other packages come from hyprace's own dependencies when the file's directory
    // has none.
    paths: { ...publicEntries(), '*': ['*', `${MODULES}/*`, `${MODULES}/@types/*`] },
  };
  const program = ts.createProgram([file], options);
  const source = program.getSourceFile(file);
  if (!source) return { kind: 'syntax', text: `${file}: cannot be read` };
  const syntax = program.getSyntacticDiagnostics(source).find((x) => x.category === ts.DiagnosticCategory.Error);
  if (syntax) return { kind: 'syntax', text: describe(ts, file, syntax) };
  const type = program.getSemanticDiagnostics(source).find((x) => x.category === ts.DiagnosticCategory.Error);
  return type ? { kind: 'type', text: describe(ts, file, type) } : null;
}

function describe(ts: typeof TS, file: string, d: TS.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (!d.file || d.start === undefined) return `${file}: ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${file}:${line + 1}:${character + 1}: ${text}`;
}
