// piscina worker entry for one parallel exploration job.
import { importTs } from './import-ts.mjs';

export default (await importTs(new URL('./job-worker.ts', import.meta.url).href)).default;
