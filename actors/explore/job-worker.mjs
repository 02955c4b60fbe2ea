// piscina worker entry for one parallel exploration job.
import { importTs } from '../engine/import-ts.mjs';

export default (await importTs(new URL('./job-worker.ts', import.meta.url).href)).default;
