// The compiled interpreter must take exactly the transitions xstate's own interpreter takes.
import { expect } from 'chai';
import { and, assign, not, setup } from 'xstate';
import { createStepper } from '../actors/actor-runtime.ts';
import { MachineDefinitionError, compileMachine } from '../actors/compile.ts';
import { Rng } from '../actors/rng.ts';
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

  it('rejects what it cannot step one STEP at a time, naming the state', () => {
    const bad = setup({}).createMachine({ id: 'bad', initial: 'a', states: { a: { always: { target: 'b' } }, b: {} } });
    expect(() => compileMachine(bad)).to.throw(MachineDefinitionError, /state 'a'.*always/);
    const other = setup({}).createMachine({ id: 'other', initial: 'a', states: { a: { on: { GO: 'a' } } } });
    expect(() => compileMachine(other)).to.throw(MachineDefinitionError, /event 'GO'/);
  });
});
