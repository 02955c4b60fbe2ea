// Worker entry of one stress actor: registers the TypeScript loaders, then runs it.
import { workerData } from 'node:worker_threads';
import { importTs } from '../engine/import-ts.mjs';

const { default: stressWorker } = await importTs(new URL('./stress-worker.ts', import.meta.url).href);
await stressWorker(workerData);
