// The engine's own invariants (deadlock, lock discipline) fail on designs with those bugs and
// hold on the design without them; a crashing or hanging actor is an internal failure.
import { expect } from 'chai';
import { ActorFailure } from '../actors/engine/index.ts';
import { ThreadsBackend, liveActorWorkers } from '../actors/engine/index.ts';
import { explore } from '../actors/explore/index.ts';
import { STRATEGIES } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import scenario from './fixtures/locks-scenario.ts';
import { FIXTURE_REF, exploreInline } from './helpers.ts';

describe('engine invariants', () => {
  it('reports a deadlock when two threads take two mutexes in opposite orders', async () => {
    const r = await exploreInline(scenario, 'abba', { strategy: 'random' });
    expect(r.violation?.invariant).to.equal('deadlock');
    expect(r.violation?.message).to.match(/thread0 waits for [ab] \(held by thread1\); thread1 waits for [ab] \(held by thread0\)/);
  });

  it('finds no deadlock when both take them in the same order', async () => {
    const r = await exploreInline(scenario, 'ordered', { strategy: 'random', iterations: 500 });
    expect(r.violation).to.equal(null);
    expect(r.iterations).to.equal(500);
  });

  it('reports a lock taken twice by its holder as a self-deadlock', async () => {
    const r = await exploreInline(scenario, 'double-lock', { strategy: 'random' });
    expect(r.violation?.invariant).to.equal('lock-discipline');
    expect(r.violation?.message).to.match(/thread0 waits for a, which it holds itself/);
  });

  it('reports a release of a lock nobody holds', async () => {
    const r = await exploreInline(scenario, 'stray-unlock', { strategy: 'random' });
    expect(r.violation?.invariant).to.equal('lock-discipline');
    expect(r.violation?.message).to.match(/thread0 calls spin_unlock\(s\) but nobody holds it/);
  });

  it('turns an exception in a step into an ActorFailure naming the actor and state', async () => {
    let err: unknown;
    try {
      await exploreInline(scenario, 'throws', { strategy: 'random' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ActorFailure);
    expect((err as Error).message).to.equal("thread0 threw in state 'fault': injected fault");
  });
});

describe('worker threads', function () {
  this.timeout(120_000);

  it('reports a step that never finishes as a hung worker, and leaves no worker behind', async () => {
    const world = buildWorld(scenario, 'hangs');
    const backend = await ThreadsBackend.start(world, FIXTURE_REF, { stepTimeoutMs: 1500 });
    expect(liveActorWorkers()).to.equal(2);
    let err: unknown;
    try {
      await explore(backend, { strategy: 'rr', depth: 1, iterations: 10, timeSeconds: 30, seed: 1, stepLimit: 100 });
    } catch (e) {
      err = e;
    } finally {
      await backend.close();
    }
    expect(err).to.be.instanceOf(ActorFailure);
    expect((err as ActorFailure).kind).to.equal('hung');
    expect((err as Error).message).to.match(/the worker of thread0 did not finish its step from state 'fault' within 1500 ms/);
    expect(liveActorWorkers()).to.equal(0);
  });

  it('reports an exception thrown in a worker with the actor and state, under every strategy', async () => {
    const world = buildWorld(scenario, 'throws');
    const backend = await ThreadsBackend.start(world, FIXTURE_REF);
    try {
      // PCT runs thread0's steps back to back in its worker; rr switches at every step.
      for (const strategy of STRATEGIES) {
        let err: unknown;
        try {
          await explore(backend, { strategy, depth: 1, iterations: 10, timeSeconds: 30, seed: 1, stepLimit: 100 });
        } catch (e) {
          err = e;
        }
        expect(err, strategy).to.be.instanceOf(ActorFailure);
        expect((err as Error).message, strategy).to.equal("thread0 threw in state 'fault': injected fault");
      }
    } finally {
      await backend.close();
    }
    expect(liveActorWorkers()).to.equal(0);
  });
});
