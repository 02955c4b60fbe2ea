// piscina worker entry for one verify job: a subtree of the exploration tree.
import { importTs } from '../engine/import-ts.mjs';

export default (await importTs(new URL('./job-worker.ts', import.meta.url).href)).default;
