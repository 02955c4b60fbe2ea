// Runs xstate machines one STEP at a time, fast. The machine stays an ordinary xstate machine
// (xstate's own interpreter and @xstate/graph read it as usual); this compiles the subset
// hyprace needs into per-state transition tables:
//   - atomic, compound and final states (no parallel or history states);
//   - only the STEP event; no after/invoke; `always` only in a choice state (below);
//   - guards: named, parameterized, inline, and the and/or/not combinators;
//   - actions: named, parameterized, inline, and assign; entry and exit actions.
// A state's meta.wait (a Wait, or a function of the actor's context returning one) says what it
// blocks on. A choice state is a leaf whose only transitions are `always` ones, the last without a
// guard: a STEP that enters it leaves it at once, in the same step, by the first of them whose
// guard holds (xstate's eventless transitions, taken within the same macrostep). That is how a
// step branches on what its actions read: they keep it in the context, the branch guards read it.
// test/compile.test.ts checks that it takes the same transitions as xstate's interpreter.
import type { AnyStateMachine } from 'xstate';
import type { Wait } from '../../host/wait.ts';
import type { StepEvent } from './step-event.ts';
import { cloneContext } from './plain-clone.ts';

// xstate's resolved state nodes; only the fields read here.
interface Node {
  id: string;
  key: string;
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  parent?: Node;
  states: Record<string, Node>;
  entry: unknown[];
  exit: unknown[];
  meta?: { wait?: Wait | WaitFn };
  transitions: Map<string, TransitionDef[]>;
  initial: { target: Node[] };
  always?: TransitionDef[];
  after: unknown[];
  invoke: unknown[];
  config: { description?: string };
}

interface TransitionDef {
  target?: Node[];
  source: Node;
  guard?: unknown;
  actions: unknown[];
  reenter: boolean;
  description?: string;
}

type Args = { context: Record<string, unknown>; event: StepEvent };
type WaitFn = (args: { context: Record<string, unknown> }) => Wait | undefined;
/** A state's wait as compiled: what it blocks on, given the actor's context. */
export type CompiledWait = (context: Record<string, unknown>) => Wait | undefined;
type ActionFn = (args: Args) => void;
type GuardFn = (args: Args) => boolean;

export interface CompiledTransition {
  guard?: GuardFn;
  /** Exit actions, transition actions, entry actions, in xstate's order. */
  actions: ActionFn[];
  target: number;
  /** Index among the source state's STEP transitions (own, then ancestors'); a branch: among the choice state's. */
  index: number;
  /** The state that declares it (the leaf or an ancestor), as a path, and its index there. */
  owner: string;
  ownIndex: number;
  label: string;
}

export class MachineDefinitionError extends Error {}

export interface CompiledMachine {
  readonly machine: AnyStateMachine;
  /** Leaf state paths, e.g. "update_vttbr" or "run.in_guest"; a state's index is its position. */
  readonly stateIds: readonly string[];
  readonly initial: number;
  readonly initialActions: readonly ActionFn[];
  readonly transitions: readonly (readonly CompiledTransition[])[];
  readonly final: readonly boolean[];
  /** Per state: a choice state, left within the step that enters it (never a step's start or end). */
  readonly choice: readonly boolean[];
  /** Per choice state: its branches (the `always` transitions), tried in order; empty elsewhere. */
  readonly branches: readonly (readonly CompiledTransition[])[];
  /** Per state: what it blocks on, given the actor's context (undefined: it never blocks). */
  readonly waits: readonly (CompiledWait | undefined)[];
  /** Per state: its wait is a function, which may read the context (threads mode ships it to the scheduler). */
  readonly waitUsesContext: readonly boolean[];
  createContext(input: unknown): Record<string, unknown>;
}

const SUPPORTED = 'STEP';

export function compileMachine(machine: AnyStateMachine): CompiledMachine {
  const root = (machine as unknown as { root: Node }).root;
  const implementations = (machine as unknown as { implementations: { actions: Record<string, unknown>; guards: Record<string, unknown> } }).implementations;
  const where = (n: Node) => `machine '${machine.id}', state '${n.path.join('.') || '(root)'}'`;

  const leaves: Node[] = [];
  const visit = (n: Node) => {
    if (n.type === 'parallel' || n.type === 'history') throw new MachineDefinitionError(`${where(n)}: ${n.type} states are not supported`);
    if (n.always?.length && Object.keys(n.states).length) throw new MachineDefinitionError(`${where(n)}: 'always' transitions are supported only in a choice state (a leaf), not in a compound state; every step is one STEP`);
    if (n.after.length) throw new MachineDefinitionError(`${where(n)}: delayed ('after') transitions are not supported`);
    if (n.invoke.length) throw new MachineDefinitionError(`${where(n)}: 'invoke' is not supported`);
    for (const type of n.transitions.keys()) {
      if (type !== SUPPORTED) throw new MachineDefinitionError(`${where(n)}: event '${type}' is not supported; machines receive only STEP`);
    }
    const children = Object.values(n.states);
    if (children.length === 0) leaves.push(n);
    else children.forEach(visit);
  };
  visit(root);
  const index = new Map(leaves.map((n, i) => [n, i]));

  const action = (a: unknown, n: Node): ActionFn => resolveAction(a, implementations.actions, where(n));
  const guard = (g: unknown, n: Node): GuardFn => resolveGuard(g, machine, implementations.guards, where(n));

  const ancestors = (n: Node): Node[] => {
    const out: Node[] = [];
    for (let p = n.parent; p; p = p.parent) out.push(p);
    return out;
  };
  const isDescendant = (child: Node, parent: Node): boolean => ancestors(child).includes(parent);

  /** Descends from a target through initial states to a leaf, collecting entry actions. */
  const enterDown = (n: Node, acts: ActionFn[]): Node => {
    let cur = n;
    while (Object.keys(cur.states).length) {
      const next = cur.initial?.target?.[0];
      if (!next) throw new MachineDefinitionError(`${where(cur)}: compound state without an initial state`);
      for (const a of next.entry) acts.push(action(a, next));
      cur = next;
    }
    return cur;
  };

  const compileTransition = (leaf: Node, t: TransitionDef, i: number, branch = false): CompiledTransition => {
    const label = t.description ?? t.source.config.description ?? '';
    const owner = t.source.path.join('.');
    const ownIndex = (branch ? (t.source.always ?? []) : (t.source.transitions.get(SUPPORTED) ?? [])).indexOf(t);
    if (!t.target || t.target.length === 0) {
      return { guard: t.guard === undefined ? undefined : guard(t.guard, t.source), actions: t.actions.map((a) => action(a, t.source)), target: index.get(leaf)!, index: i, owner, ownIndex, label };
    }
    if (t.target.length > 1) throw new MachineDefinitionError(`${where(t.source)}: a transition may have one target only`);
    const target = t.target[0];
    // xstate v5's transition domain: the source itself when re-entering is off and the target is
    // the source or inside it; otherwise the least common ancestor.
    const domain: Node =
      !t.reenter && (target === t.source || isDescendant(target, t.source))
        ? t.source
        : (ancestors(target).find((a) => isDescendant(t.source, a)) ?? root);
    const acts: ActionFn[] = [];
    // Exit from the leaf up to (not including) the domain.
    for (let n: Node | undefined = leaf; n && n !== domain; n = n.parent) for (const a of n.exit) acts.push(action(a, n));
    for (const a of t.actions) acts.push(action(a, t.source));
    // Enter from just below the domain down to the target, then its initial descendants.
    const chain: Node[] = [];
    for (let n: Node | undefined = target; n && n !== domain; n = n.parent) chain.unshift(n);
    for (const n of chain) for (const a of n.entry) acts.push(action(a, n));
    const finalLeaf = enterDown(target, acts);
    return { guard: t.guard === undefined ? undefined : guard(t.guard, t.source), actions: acts, target: index.get(finalLeaf)!, index: i, owner, ownIndex, label };
  };

  const choice = leaves.map((n) => !!n.always?.length);
  for (const n of leaves) {
    if (!n.always?.length) continue;
    const bad = (why: string) => new MachineDefinitionError(`${where(n)}: a choice state (with 'always' transitions) ${why}`);
    if (n.type === 'final') throw bad('cannot be final');
    if (n.transitions.get(SUPPORTED)?.length) throw bad('cannot also take STEP transitions');
    if (n.meta?.wait !== undefined) throw bad('cannot wait: it is left within the step that enters it');
    if (n.always[n.always.length - 1].guard !== undefined) throw bad('must end with a branch without a guard, so that a step always leaves it');
    for (const t of n.always) {
      if (!t.target?.length) throw bad('needs a target on every branch');
      if (t.target.length > 1) throw bad('may have one target per branch');
    }
  }
  const branches = leaves.map((leaf) => (leaf.always?.length ? leaf.always.map((t, i) => compileTransition(leaf, t, i, true)) : []));
  for (const [i, bs] of branches.entries()) {
    for (const b of bs) if (choice[b.target]) throw new MachineDefinitionError(`${where(leaves[i])}: a choice state's branch leads to another choice state ('${leaves[b.target].path.join('.')}'); one choice per step`);
  }

  const transitions = leaves.map((leaf) => {
    if (leaf.always?.length) return [];
    const defs: TransitionDef[] = [];
    for (let n: Node | undefined = leaf; n; n = n.parent) defs.push(...(n.transitions.get(SUPPORTED) ?? []));
    return defs.map((t, i) => compileTransition(leaf, t, i));
  });

  const initialActions: ActionFn[] = [];
  for (const a of root.entry) initialActions.push(action(a, root));
  const initialLeaf = enterDown(root, initialActions);
  if (choice[index.get(initialLeaf)!]) throw new MachineDefinitionError(`${where(initialLeaf)}: the initial state cannot be a choice state`);

  const waits = leaves.map((leaf): CompiledWait | undefined => {
    const w = leaf.meta?.wait;
    if (w === undefined) return undefined;
    if (typeof w === 'function') return (context) => w({ context });
    if (typeof w === 'object' && typeof w.ready === 'function') return () => w;
    throw new MachineDefinitionError(`${where(leaf)}: meta.wait must be a Wait or a function of ({ context }) returning one`);
  });

  const contextConfig = (machine as unknown as { config: { context?: unknown } }).config.context;
  return {
    machine,
    stateIds: leaves.map((n) => n.path.join('.')),
    initial: index.get(initialLeaf)!,
    initialActions,
    transitions,
    final: leaves.map((n) => n.type === 'final'),
    choice,
    branches,
    waits,
    // A wait function that takes a parameter may read the context; `() => ...` cannot.
    waitUsesContext: leaves.map((n) => typeof n.meta?.wait === 'function' && (n.meta.wait as (...a: unknown[]) => unknown).length > 0),
    createContext(input: unknown) {
      if (typeof contextConfig === 'function') return (contextConfig as (a: { input: unknown }) => Record<string, unknown>)({ input });
      return contextConfig ? cloneContext(contextConfig as Record<string, unknown>) : {};
    },
  };
}

interface BuiltinAction {
  type?: string;
  assignment?: unknown;
}

function resolveAction(a: unknown, impls: Record<string, unknown>, where: string, params?: unknown): ActionFn {
  if (typeof a === 'string') {
    const impl = impls[a];
    if (impl === undefined) throw new MachineDefinitionError(`${where}: action '${a}' is not implemented`);
    return resolveAction(impl, impls, where, params);
  }
  if (typeof a === 'function') {
    const b = a as BuiltinAction;
    if (b.type === 'xstate.assign') return assignAction(b.assignment, params);
    if (typeof b.type === 'string' && b.type.startsWith('xstate.')) {
      throw new MachineDefinitionError(`${where}: built-in action ${b.type} is not supported; use plain actions and assign`);
    }
    const fn = a as (args: Args, params: unknown) => void;
    return (args) => fn(args, params);
  }
  if (a && typeof a === 'object' && 'type' in a) {
    const { type, params: p } = a as { type: string; params?: unknown };
    const impl = impls[type];
    if (impl === undefined) throw new MachineDefinitionError(`${where}: action '${type}' is not implemented`);
    if (typeof p === 'function') {
      const inner = (args: Args) => resolveAction(impl, impls, where, (p as (x: Args) => unknown)(args))(args);
      return inner;
    }
    return resolveAction(impl, impls, where, p);
  }
  throw new MachineDefinitionError(`${where}: cannot run action ${String(a)}`);
}

function assignAction(assignment: unknown, params: unknown): ActionFn {
  if (typeof assignment === 'function') {
    const fn = assignment as (args: Args, params: unknown) => Record<string, unknown>;
    return (args) => void Object.assign(args.context, fn(args, params));
  }
  const entries = Object.entries(assignment as Record<string, unknown>);
  return (args) => {
    const partial: Record<string, unknown> = {};
    for (const [k, v] of entries) partial[k] = typeof v === 'function' ? (v as (a: Args, p: unknown) => unknown)(args, params) : v;
    Object.assign(args.context, partial);
  };
}

function resolveGuard(g: unknown, machine: AnyStateMachine, impls: Record<string, unknown>, where: string): GuardFn {
  if (typeof g === 'string' || (g && typeof g === 'object' && 'type' in g)) {
    const type = typeof g === 'string' ? g : (g as { type: string }).type;
    const p = typeof g === 'string' ? undefined : (g as { params?: unknown }).params;
    const impl = impls[type];
    if (impl === undefined) throw new MachineDefinitionError(`${where}: guard '${type}' is not implemented`);
    if (typeof impl === 'function' && !('check' in impl)) {
      const fn = impl as (args: Args, params: unknown) => boolean;
      if (typeof p === 'function') return (args) => fn(args, (p as (a: Args) => unknown)(args));
      return (args) => fn(args, p);
    }
    return resolveGuard(impl, machine, impls, where);
  }
  if (typeof g === 'function') {
    if ('check' in g) {
      // and()/or()/not(): xstate evaluates their parts against a snapshot; give it one with the
      // machine (for named guards) and the context.
      const builtin = g as unknown as { check: (snapshot: unknown, args: Args, self: unknown) => boolean };
      return (args) => builtin.check({ machine, context: args.context }, args, builtin);
    }
    const fn = g as (args: Args, params: unknown) => boolean;
    return (args) => fn(args, undefined);
  }
  throw new MachineDefinitionError(`${where}: cannot evaluate guard ${String(g)}`);
}

/** Takes one STEP: the first transition whose guard holds. Returns it, or undefined if none. */
export function pickTransition(m: CompiledMachine, state: number, args: Args): CompiledTransition | undefined {
  return firstEnabled(m.transitions[state], args);
}

/** In a choice state: the first branch whose guard holds (the last has none). */
export function pickBranch(m: CompiledMachine, state: number, args: Args): CompiledTransition {
  return firstEnabled(m.branches[state], args)!;
}

function firstEnabled(ts: readonly CompiledTransition[], args: Args): CompiledTransition | undefined {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (!t.guard || t.guard(args)) return t;
  }
  return undefined;
}
