// The native reference for the lock benchmark: the same loop in C over pthread_mutex_t and
// pthread_spinlock_t, compiled with the machine's cc into a temporary directory at bench time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = String.raw`
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static volatile int go, stop;
static long counter, last_owner;
static int use_spin;

struct arg { long me, acquisitions, handoffs; };

static void *writer(void *p) {
  struct arg *a = p;
  while (!go) ;
  while (!stop) {
    if (use_spin) pthread_spin_lock(&spin); else pthread_mutex_lock(&mutex);
    counter++;
    if (last_owner != a->me + 1) { a->handoffs++; last_owner = a->me + 1; }
    a->acquisitions++;
    if (use_spin) pthread_spin_unlock(&spin); else pthread_mutex_unlock(&mutex);
  }
  return NULL;
}

int main(int argc, char **argv) {
  use_spin = strcmp(argv[1], "spin") == 0;
  int n = atoi(argv[2]);
  int ms = atoi(argv[3]);
  pthread_spin_init(&spin, 0);
  pthread_t t[64];
  struct arg args[64];
  memset(args, 0, sizeof args);
  for (int i = 0; i < n; i++) { args[i].me = i; pthread_create(&t[i], NULL, writer, &args[i]); }
  usleep(50000);
  go = 1;
  usleep(ms * 1000);
  stop = 1;
  long acq = 0, hand = 0;
  for (int i = 0; i < n; i++) { pthread_join(t[i], NULL); acq += args[i].acquisitions; hand += args[i].handoffs; }
  printf("%ld %ld %d\n", acq, hand, counter == acq);
  return 0;
}
`;

export interface NativeLocks {
  run(kind: 'mutex' | 'spin', threads: number, ms: number): { acquisitions: number; handoffs: number; exact: boolean };
  dispose(): void;
}

/** Compiles the reference; undefined (with the reason) when there is no working cc. */
export function compileNativeLocks(): NativeLocks | string {
  const dir = mkdtempSync(join(tmpdir(), 'hyprace-bench-'));
  const src = join(dir, 'locks.c');
  const bin = join(dir, 'locks');
  writeFileSync(src, SOURCE);
  try {
    execFileSync('cc', ['-O2', '-pthread', '-o', bin, src], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    return err.code === 'ENOENT' ? 'no cc on this machine' : `cc failed: ${String(err.stderr ?? err.message).split('\n')[0]}`;
  }
  return {
    run(kind, threads, ms) {
      const [acq, hand, exact] = execFileSync(bin, [kind, String(threads), String(ms)], { encoding: 'utf8' }).trim().split(' ').map(Number);
      return { acquisitions: acq, handoffs: hand, exact: exact === 1 };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
