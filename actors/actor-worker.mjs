// piscina worker entry. Worker threads do not inherit a loader registered through tsx's API in
// the main thread, so register it here unless the thread already has one (tsx issue 354).
// A failed import is cached per URL, hence the query string on the second attempt.
let mod;
try {
  mod = await import('./actor-worker.ts');
} catch (e) {
  if (!String(e?.message).includes('Unknown file extension')) throw e;
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import('./actor-worker.ts?tsx');
}
export default mod.default;
