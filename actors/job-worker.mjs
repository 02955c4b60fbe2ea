// piscina worker entry for parallel exploration jobs (see actor-worker.mjs for why).
let mod;
try {
  mod = await import('./job-worker.ts');
} catch (e) {
  if (!String(e?.message).includes('Unknown file extension')) throw e;
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import('./job-worker.ts?tsx');
}
export default mod.default;
