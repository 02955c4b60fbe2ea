// Mocha root hooks (loaded by .mocharc.json's "require"): once every suite has run, remove the
// temporary folders the tests made. `npm test` runs in parallel mode, where each worker process
// loads this file and runs the hook after each test file it ran (so its folders go with it).
import { removeTempDirs } from './temp-dirs.ts';

export const mochaHooks = {
  afterAll(): void {
    removeTempDirs();
  },
};
