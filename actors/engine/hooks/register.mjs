// Registers what a thread needs to load TypeScript scenario files: tsx, unless the thread
// already has it, and the 'hyprace' resolve hook. Each thread registers its own: worker threads
// do not inherit loaders registered through the API in the main thread (tsx issue 354).
import { register } from 'node:module';

let done = false;

export async function registerLoaders() {
  if (done) return;
  done = true;
  if (!(await tsAlreadyLoads())) {
    const tsx = await import('tsx/esm/api');
    tsx.register();
  }
  // Registered last, so it runs first and can correct what tsx resolves.
  register(new URL('./resolve-hyprace.mjs', import.meta.url));
}

async function tsAlreadyLoads() {
  try {
    await import(new URL('./probe.ts', import.meta.url).href);
    return true;
  } catch {
    return false;
  }
}
