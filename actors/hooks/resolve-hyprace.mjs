// Module resolve hook for scenario files anywhere on disk:
//   - `import ... from 'hyprace'` means this package's public API (api.ts);
//   - a package the file's own directory does not provide (xstate, say) comes from hyprace's;
//   - a TypeScript file is an ES module, even with no package.json saying "type": "module"
//     nearby (a scenario file in /tmp would otherwise be loaded as CommonJS).
const API = new URL('../../api.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'hyprace') return { url: API, format: 'module', shortCircuit: true };
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
