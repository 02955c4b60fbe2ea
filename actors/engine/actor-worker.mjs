// piscina worker entry for one actor of a threads-mode run.
import { importTs } from './import-ts.mjs';

export default (await importTs(new URL('./actor-worker.ts', import.meta.url).href)).default;
