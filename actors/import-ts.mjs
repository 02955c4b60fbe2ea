// Imports a TypeScript module from a piscina worker. Worker threads do not inherit a loader that
// tsx's API registered in the main thread, so register it here unless the thread already has one
// (tsx issue 354). A failed import is cached per URL, hence the query on the second attempt.
export async function importTs(url) {
  try {
    return await import(url);
  } catch (e) {
    if (!String(e?.message).includes('Unknown file extension')) throw e;
    const { register } = await import('tsx/esm/api');
    register();
    return import(`${url}?tsx`);
  }
}
