// Module resolve hook for scenario files anywhere on disk:
//   - `import ... from 'hyprace'` means this package's public API (api.ts), and 'hyprace/vmid'
//     and the other subpaths the files package.json "exports" names (the one list of them);
//   - a package the file's own directory does not provide (xstate, say) comes from hyprace's;
//   - a TypeScript file is an ES module, even with no package.json saying "type": "module"
//     nearby (a scenario file in /tmp would otherwise be loaded as CommonJS).
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../..', import.meta.url);
const EXPORTS = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).exports;
const API = new URL(EXPORTS['.'], ROOT).href;

/** The file a public specifier names, or undefined if it is not one ('hyprace/host/cpu.ts' is not). */
function publicEntry(specifier) {
  if (specifier === 'hyprace') return API;
  if (!specifier.startsWith('hyprace/')) return undefined;
  const target = EXPORTS[`./${specifier.slice('hyprace/'.length)}`];
  return target ? new URL(target, ROOT).href : undefined;
}

export async function resolve(specifier, context, next) {
  const entry = publicEntry(specifier);
  if (entry) return { url: entry, format: 'module', shortCircuit: true };
  if (specifier.startsWith('hyprace/')) {
    const known = Object.keys(EXPORTS).filter((k) => k !== '.').map((k) => `hyprace/${k.slice(2)}`);
    throw Object.assign(new Error(`'${specifier}' is not a public entry point of hyprace (they are: hyprace, ${known.join(', ')})`), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  }
  let r;
  try {
    r = await next(specifier, context);
  } catch (e) {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
    if (!bare || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    r = await next(specifier, { ...context, parentURL: API });
  }
  if (r.url.startsWith('file:') && /\.m?ts$/.test(new URL(r.url).pathname) && !r.url.includes('/node_modules/')) return { ...r, format: 'module' };
  return r;
}
