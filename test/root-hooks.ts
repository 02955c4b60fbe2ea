// Mocha root hooks (loaded by .mocharc.json's "require"): once every suite has run, remove the
// temporary folders the tests made.
import { removeTempDirs } from './temp-dirs.ts';

export const mochaHooks = {
  afterAll(): void {
    removeTempDirs();
  },
};
