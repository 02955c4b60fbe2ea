// The compiled interpreter must take exactly the transitions xstate's own interpreter takes.
import { expect } from 'chai';
import { and, assign, not, setup } from 'xstate';
import { createStepper } from '../actors/engine/index.ts';
import { MachineDefinitionError, compileMachine } from '../actors/engine/index.ts';
import { Rng } from '../actors/engine/index.ts';
import { waitUntil } from '../host/wait.ts';
import { defineStepMachine } from '../machines/step-machine.ts';

const log: string[] = [];

// Nested states, entry/exit at several levels, named and inline guards, not()/and(), assign,
// a targetless transition, a re-entering self-transition, and the step's random source.
const nested = setup({
  types: { context: {} as { n: number; m: number } },
  actions: {
    bump: assign({ n: ({ context }) => context.n + 1 }),
    note: (_, p: { text: string }) => void log.push(p.text),
  },
  guards: {
    small: ({ context }) => context.n < 5,
    coin: ({ event }) => (event as unknown as { chance(p: number): boolean }).chance(0.5),
  },
}).createMachine({
  id: 'nested',
  context: { n: 0, m: 0 },
  initial: 'outer',
  entry: { type: 'note', params: { text: 'enter root' } },
  states: {
    outer: {
      entry: { type: 'note', params: { text: 'enter outer' } },
      exit: { type: 'note', params: { text: 'exit outer' } },
      initial: 'a',
      on: { STEP: { target: 'done', guard: not('small'), actions: { type: 'note', params: { text: 'outer -> done' } } } },
      states: {
        a: {
          entry: { type: 'note', params: { text: 'enter a' } },
          exit: { type: 'note', params: { text: 'exit a' } },
          on: {
            STEP: [
              { guard: and(['small', 'coin']), target: 'b', actions: 'bump' },
              { guard: 'coin', actions: [assign({ m: ({ context }) => context.m + 1 }), { type: 'note', params: { text: 'stay a' } }] },
              { target: 'a', reenter: true, actions: 'bump' },
            ],
          },
        },
        b: {
          entry: { type: 'note', params: { text: 'enter b' } },
          on: { STEP: [{ guard: 'coin', target: '#nested.outer.inner', actions: 'bump' }, { target: 'a' }] },
        },
        inner: {
          initial: 'x',
          entry: { type: 'note', params: { text: 'enter inner' } },
          exit: { type: 'note', params: { text: 'exit inner' } },
          states: {
            x: { on: { STEP: { target: 'y', actions: ({ context }) => void (context.m += 10) } } },
            y: { on: { STEP: { target: '#nested.outer', actions: 'bump' } } },
          },
        },
      },
    },
    done: { type: 'final', entry: { type: 'note', params: { text: 'enter done' } } },
  },
});

function walk(interpreter: 'compiled' | 'xstate', seed: number): string[] {
  log.length = 0;
  const s = createStepper({ name: 't', machine: nested }, 0, interpreter);
  s.reset();
  const out = [s.program.stateIds[s.state]];
  const rng = new Rng(seed);
  for (let i = 0; i < 60 && !s.done; i++) {
    s.step(rng.nextU32());
    out.push(s.program.stateIds[s.state]);
  }
  return [...out, '|', ...log];
}

describe('compiled interpreter', () => {
  it('lists the leaf states with their paths', () => {
    expect(compileMachine(nested).stateIds).to.deep.equal(['outer.a', 'outer.b', 'outer.inner.x', 'outer.inner.y', 'done']);
  });

  it('takes the same transitions and runs the same actions as xstate, for many seeds', () => {
    let steps = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const compiled = walk('compiled', seed);
      const reference = walk('xstate', seed);
      expect(compiled, `seed ${seed}`).to.deep.equal(reference);
      steps += compiled.indexOf('|');
    }
    expect(steps).to.be.greaterThan(1000);
  });

  it('agrees with xstate on a defineStepMachine machine with waits', () => {
    const m = defineStepMachine<{ k: number }>({
      id: 'w',
      initial: 'one',
      context: { k: 0 },
      states: {
        one: { step: [{ guard: ({ event }) => event.chance(0.3), target: 'two' }, { actions: ({ context }) => void context.k++ }] },
        two: { wait: { what: 'nothing', ready: () => true }, step: { target: 'end' } },
        end: { final: true },
      },
    });
    expect(compileMachine(m).waits.map((w) => !!w)).to.deep.equal([false, true, false]);
    for (let seed = 1; seed < 50; seed++) {
      const run = (i: 'compiled' | 'xstate') => {
        const s = createStepper({ name: 'w', machine: m }, 0, i);
        s.reset();
        const rng = new Rng(seed);
        const seen = [];
        while (!s.done) {
          s.step(rng.nextU32());
          seen.push(s.state);
        }
        return seen;
      };
      expect(run('compiled')).to.deep.equal(run('xstate'));
    }
  });

  it('agrees with xstate on steps that branch on what their actions read (then), entering and leaving choice states', () => {
    // A compare-and-swap on a word both machines share, with entry and exit actions on the way:
    // the action keeps what it saw, the branches go on from it.
    const shared = { word: 0 };
    const trail: string[] = [];
    const m = defineStepMachine<{ seen: number; won: number; tries: number }>({
      id: 'cas',
      initial: 'try_cas',
      // A fresh object per actor: xstate's interpreter hands actions the context it holds.
      context: () => ({ seen: -1, won: 0, tries: 0 }),
      states: {
        try_cas: {
          exit: () => void trail.push('exit try_cas'),
          step: [
            { guard: ({ context }) => context.tries >= 6, target: 'done' },
            {
              description: 'cmpxchg(word, 0, 1)',
              actions: ({ context, event }) => {
                context.tries++;
                if (event.chance(0.5)) shared.word = event.random(2);
                context.seen = shared.word;
                if (shared.word === 0) shared.word = 1;
              },
              then: [
                { guard: ({ context }) => context.seen === 0, target: 'owned', actions: ({ context }) => void context.won++ },
                { guard: ({ event }) => event.chance(0.3), target: 'backoff', description: 'busy: back off' },
                { target: 'try_cas' },
              ],
            },
          ],
        },
        owned: { entry: () => void trail.push('enter owned'), step: { actions: () => void (shared.word = 0), target: 'try_cas' } },
        backoff: { step: { target: 'try_cas' } },
        done: { final: true },
      },
    });
    const program = compileMachine(m);
    expect(program.stateIds).to.deep.equal(['try_cas', 'try_cas?1', 'owned', 'backoff', 'done']);
    expect(program.choice).to.deep.equal([false, true, false, false, false]);
    const run = (i: 'compiled' | 'xstate', seed: number) => {
      shared.word = 0;
      trail.length = 0;
      const s = createStepper({ name: 'cas', machine: m }, 0, i);
      s.reset();
      const rng = new Rng(seed);
      const seen: string[] = [];
      while (!s.done) {
        s.step(rng.nextU32());
        expect(program.choice[s.state], 'a step never ends in a choice state').to.equal(false);
        seen.push(s.program.stateIds[s.state]);
      }
      return [...seen, '|', ...trail, `won ${JSON.stringify(s.context())}`];
    };
    const branches = new Set<number>();
    let steps = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const compiled = run('compiled', seed);
      expect(compiled, `seed ${seed}`).to.deep.equal(run('xstate', seed));
      steps += compiled.indexOf('|');
      const s = createStepper({ name: 'cas', machine: m }, 0);
      shared.word = 0;
      s.reset();
      const rng = new Rng(seed);
      while (!s.done) {
        s.step(rng.nextU32());
        if (s.lastBranch() >= 0) branches.add(s.lastBranch());
      }
    }
    expect([...branches].sort()).to.deep.equal([0, 1, 2]);
    expect(steps).to.be.greaterThan(700);
  });

  it('gives a wait the actor context, in the compiled interpreter and under xstate', () => {
    const m = defineStepMachine<{ page: number }>({
      id: 'w',
      initial: 'pick',
      context: () => ({ page: -1 }),
      states: {
        pick: { step: { actions: ({ context, event }) => void (context.page = event.random(4)), target: 'touch' } },
        touch: { wait: ({ context }) => waitUntil(`page ${context.page}`, () => context.page % 2 === 0), step: { target: 'end' } },
        end: { final: true },
      },
    });
    expect(compileMachine(m).waitUsesContext).to.deep.equal([false, true, false]);
    for (const i of ['compiled', 'xstate'] as const) {
      const waits = new Set<string>();
      for (let seed = 1; seed < 40; seed++) {
        const s = createStepper({ name: 'w', machine: m }, 0, i);
        s.reset();
        expect(s.waitOf()).to.equal(undefined);
        s.step(seed);
        const w = s.waitOf()!;
        expect(w.what).to.equal(`page ${s.context().page}`);
        expect(w.ready()).to.equal((s.context().page as number) % 2 === 0);
        waits.add(w.what);
      }
      expect(waits.size, i).to.equal(4);
    }
  });

  it('rejects what it cannot step one STEP at a time, naming the state', () => {
    const bad = setup({}).createMachine({ id: 'bad', initial: 'a', states: { a: { on: { STEP: 'p' } }, p: { initial: 'x', always: { target: 'a' }, states: { x: {} } } } });
    expect(() => compileMachine(bad)).to.throw(MachineDefinitionError, /state 'p'.*always.*compound/);
    const other = setup({}).createMachine({ id: 'other', initial: 'a', states: { a: { on: { GO: 'a' } } } });
    expect(() => compileMachine(other)).to.throw(MachineDefinitionError, /event 'GO'/);
    const noDefault = setup({}).createMachine({ id: 'nd', initial: 'a', states: { a: { on: { STEP: 'c' } }, c: { always: { guard: () => true, target: 'a' } } } });
    expect(() => compileMachine(noDefault)).to.throw(MachineDefinitionError, /state 'c': a choice state.*without a guard/);
    const chained = setup({}).createMachine({ id: 'ch', initial: 'a', states: { a: { on: { STEP: 'c' } }, c: { always: { target: 'd' } }, d: { always: { target: 'a' } } } });
    expect(() => compileMachine(chained)).to.throw(MachineDefinitionError, /another choice state/);
    const initial = setup({}).createMachine({ id: 'in', initial: 'c', states: { c: { always: { target: 'a' } }, a: { on: { STEP: 'c' } } } });
    expect(() => compileMachine(initial)).to.throw(MachineDefinitionError, /initial state cannot be a choice state/);
    expect(() => defineStepMachine({ id: 'x', initial: 'a', context: {}, states: { a: { step: { then: [{ guard: () => true, target: 'a' }] } } } })).to.throw(/then does not end with a branch without a guard/);
  });
});
