// Which memory model this thread's world runs under: none (sequentially consistent, every access
// straight to memory) or arm64. Set when a world is built or activated (see actors/engine/world.ts).
import { threadGlobal } from '../thread-global.ts';
import type { Arm64Memory } from './arm64.ts';

export const memoryModel = threadGlobal('memory-model', () => ({
  arm64: undefined as Arm64Memory | undefined,
  /** Takes a promise step for `owner` (actors/engine/promises.ts, installed by the backend that runs the world). */
  promiseStep: undefined as ((owner: number) => void) | undefined,
}));
