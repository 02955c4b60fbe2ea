// Worker entry of the lock benchmark: loads the TypeScript worker, runs it, posts its counts.
import { parentPort, workerData } from 'node:worker_threads';
import { importTs } from '../actors/engine/import-ts.mjs';

const { default: run } = await importTs(new URL('./lock-worker.ts', import.meta.url).href);
parentPort.postMessage(run(workerData));
