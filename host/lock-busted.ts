// locktorture's lock_busted: a lock that is deliberately not one. torture_lock_busted_write_lock()
// tests the lock word and sets it in two separate steps, with nothing atomic between them, so two
// writers that both see it free both get in. It exists to prove the torture test can fail.
import { execution } from './execution.ts';
import type { Layout, Word } from './layout.ts';
import { note } from './recorder.ts';
import { waitUntil, type Wait } from './wait.ts';

/** locktorture's lock_busted: a test, then a set, without atomicity, so two writers can get in. */
export class BustedLock {
  private readonly word: Word;

  constructor(layout: Layout, readonly name: string) {
    this.word = layout.word(`${name}.locked`);
  }

  /** The test half: the scheduler (or the free runner) waits until the word reads 0. */
  waitFor(): Wait {
    return waitUntil(this.name, () => this.word.peek() === 0);
  }

  /** while (READ_ONCE(locked)) cpu_relax(); — true when the word was seen free. */
  test(): boolean {
    return this.word.load() === 0;
  }

  /** WRITE_ONCE(locked, 1): the set half, not atomic with the test. */
  set(): void {
    this.word.store(1);
    execution.lockHook?.(this.name, 'acquire', false);
    note(`torture_lock_busted_write_lock(${this.name})`);
  }

  unlock(): void {
    execution.lockHook?.(this.name, 'release', false);
    this.word.store(0);
    note(`torture_lock_busted_write_unlock(${this.name})`);
  }

  isLocked(): boolean {
    return this.word.peek() !== 0;
  }
}
