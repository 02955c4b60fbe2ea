// A vCPU running a guest that profiles itself with SPE, as the Linux driver (arm_spe_pmu) does:
// it programs a buffer (PMBPTR, PMSCR, then PMBLIMITR.E), moves between EL1 and EL0 (ERET and
// exceptions, which do not trap), disables the buffer around context switches and drains it,
// drains it on the buffer-full interrupt and discards it when PMBSR_EL1.DL is set. Now and then,
// at EL1 with an EL0-only buffer that holds no records, the guest kernel changes the buffer's
// translations: seed 004's corner case. Each step the SPE unit writes one record if
// profiling is enabled at the current EL; a stage-2 fault exits to KVM's handler.
import { stepIndex } from '../host/execution.ts';
import { note } from '../host/recorder.ts';
import { raiseViolation } from '../host/violations.ts';
import { guestCaused, handleSpeStage2Fault, noteFaultCause, trapSpeRegWrite, type FaultCause } from '../host/spe/kvm-spe.ts';
import { PMSCR_EL1_E0SPE, PMSCR_EL1_E1SPE, decodePmbsr, el0Only, pmblimitr, PMBLIMITR_EL1_E } from '../host/spe/regs.ts';
import { speProbe, speWriteRecord } from '../host/spe/unit.ts';
import {
  BUF_PAGES,
  CAUSE_DIRTY_LOG,
  CAUSE_MIGRATION,
  F,
  FIRST_BUFFER_GFN,
  PMBLIMITR,
  PMBPTR,
  PMBSR,
  PMSCR,
  RAM_PAGES,
  bufferVa,
  setSpeReg,
  speReg,
  type PinningDesign,
  type SpeHost,
} from '../host/spe/world.ts';
import { defineStepMachine, type StepArgs } from './step-machine.ts';

/** The invariant that a stage-2 fault the guest caused never discards records (approach 4 and option b). */
export const NO_RECORD_LOSS_ON_FIRST_FAULT = 'no-record-loss-on-first-fault';

interface Locals {
  steps: number;
  cause: string;
}
type Args = StepArgs<Locals>;

/** vCPU `v`'s guest profiling itself, under approach `design`, as a machine. */
export function speGuestVcpu(h: SpeHost, v: number, design: PinningDesign) {
  const { opts, fig } = h;
  const forbid = design === 'pin-on-enable+forbid';

  const freshGfn = () => {
    const span = RAM_PAGES - FIRST_BUFFER_GFN;
    const n = h.nextBufferGfn.add(1) - 1;
    return FIRST_BUFFER_GFN + (n % span);
  };

  const closeBlackout = () => {
    const since = h.blackoutSince.at(v).load();
    if (since < 0) return;
    const steps = stepIndex() - since;
    fig.at(F.blackoutSteps).add(steps);
    const cause = h.blackoutCause.at(v).load();
    if (cause === CAUSE_DIRTY_LOG || cause === CAUSE_MIGRATION) fig.at(F.unavailableStepsDuringMigration).add(steps);
    h.blackoutSince.at(v).store(-1);
  };

  const drain = () => {
    const n = h.pending.at(v).load();
    if (n) fig.at(F.recordsWritten).add(n);
    h.pending.at(v).store(0);
    setSpeReg(h, v, PMBPTR, BigInt(bufferVa(v)));
    setSpeReg(h, v, PMBSR, 0n);
  };

  const writeSpeReg = (reg: number, value: bigint) => {
    setSpeReg(h, v, reg, value);
    if (reg === PMBLIMITR || reg === PMSCR) trapSpeRegWrite(h, v, design);
  };

  const enableBuffer = () => writeSpeReg(PMBLIMITR, pmblimitr({ limit: bufferVa(v) + BUF_PAGES * 4096, fm: 0, e: true }));
  const disableBuffer = () => writeSpeReg(PMBLIMITR, speReg(h, v, PMBLIMITR) & ~PMBLIMITR_EL1_E);

  /** arm_spe_pmu_start(): maybe a new buffer, then PMBPTR, PMSCR and PMBLIMITR.E. */
  const programBuffer = ({ event }: Args) => {
    if (h.s1.at(v * BUF_PAGES).load() === 0 || event.chance(0.5)) {
      for (let p = 0; p < BUF_PAGES; p++) h.s1.at(v * BUF_PAGES + p).store(freshGfn() + 1);
      note(`guest: vcpu${v} allocates a new profiling buffer`);
    }
    setSpeReg(h, v, PMBPTR, BigInt(bufferVa(v)));
    setSpeReg(h, v, PMBSR, 0n);
    writeSpeReg(PMSCR, event.chance(opts.el0OnlyChance) ? PMSCR_EL1_E0SPE : PMSCR_EL1_E0SPE | PMSCR_EL1_E1SPE);
    enableBuffer();
  };

  /**
   * The guest kernel changes the buffer's translations: it moves every page (remap 'buffer', as a
   * reallocated buffer in place) or one page (remap 'page', its own page migration). Under option
   * (a) it disables the buffer around the change.
   */
  const remapBuffer = ({ event }: Args) => {
    if (forbid) {
      disableBuffer();
      fig.at(F.remapsDeferred).add(1);
    }
    const pages = opts.remap === 'page' ? [event.random(BUF_PAGES)] : Array.from({ length: BUF_PAGES }, (_, p) => p);
    for (const page of pages) h.s1.at(v * BUF_PAGES + page).store(freshGfn() + 1);
    note(`guest: vcpu${v} moves buffer page${pages.length > 1 ? 's' : ''} ${pages.join(', ')}`);
    if (forbid) enableBuffer();
  };

  const guestMove = (args: Args) => {
    const { event } = args;
    const el = h.el.at(v).load();
    const enabled = (speReg(h, v, PMBLIMITR) & PMBLIMITR_EL1_E) !== 0n;
    if (!enabled) {
      if (el === 0) h.el.at(v).store(1); // the next context switch happens in the kernel
      else programBuffer(args);
      return;
    }
    const r = event.pick([30, 8, 62]);
    if (r === 0) {
      h.el.at(v).store(1 - el);
      note(el === 1 ? 'guest: ERET to EL0' : 'guest: exception to EL1');
    } else if (r === 1) {
      disableBuffer();
      drain();
      closeBlackout();
      note('guest: context switch, buffer disabled and drained');
    } else if (el === 1 && el0Only(speReg(h, v, PMSCR)) && h.pending.at(v).load() === 0 && event.chance(opts.remapChance)) {
      remapBuffer(args);
    }
  };

  const record = ({ event }: Args) => {
    const result = speWriteRecord(h, v, event.chance(opts.dlChance));
    if (result === 'written' || result === 'full') closeBlackout();
    if (result === 'fault') noteFaultCause(h, v);
    if (result === 'fault' && h.blackoutSince.at(v).load() < 0) {
      h.blackoutSince.at(v).store(stepIndex());
      h.blackoutCause.at(v).store(h.hostUnmapped.at(h.faultGfn.at(v).load()).load());
      fig.at(F.blackoutWindows).add(1);
    }
  };

  const countStep = ({ context }: Args) => {
    context.steps++;
  };

  return defineStepMachine<Locals>({
    id: `spe-guest-${design}`,
    initial: 'guest',
    context: { steps: 0, cause: '' },
    states: {
      guest: {
        description: 'guest code at EL0 or EL1; the SPE unit writes a record if profiling is enabled there',
        step: [
          {
            guard: ({ context }) => context.steps >= opts.guestSteps,
            description: 'perf stops: buffer disabled and drained',
            actions: () => {
              disableBuffer();
              drain();
              closeBlackout();
            },
            target: 'done',
          },
          { guard: () => speProbe(h, v) === 'fault', description: 'the SPE unit meets a stage-2 fault: PMBSR_EL1.S, EC=0x25', actions: [record, countStep], target: 'kvm_handle_spe_fault' },
          { guard: () => speProbe(h, v) === 'full', description: 'the record fills the buffer: PMBSR_EL1.S, BSC=full', actions: [record, countStep], target: 'arm_spe_pmu_irq_full' },
          { description: 'a record if profiling, then the guest moves on', actions: [record, guestMove, countStep] },
        ],
      },
      kvm_handle_spe_fault: {
        description: "KVM takes the buffer management event: the approach's fix, then resume or inject",
        step: [
          {
            guard: () => decodePmbsr(speReg(h, v, PMBSR)).dl,
            description: 'DL=1: the buffer interrupt is injected into the guest',
            actions: ({ context }) => {
              context.cause = handleSpeStage2Fault(h, v, design);
            },
            target: 'arm_spe_pmu_irq_discard',
          },
          {
            description: 'DL=0: KVM clears PMBSR_EL1.S and profiling resumes where it stopped',
            actions: ({ context }) => {
              context.cause = handleSpeStage2Fault(h, v, design);
              setSpeReg(h, v, PMBSR, 0n);
            },
            target: 'guest',
          },
        ],
      },
      arm_spe_pmu_irq_discard: {
        description: "the guest's buffer interrupt with DL=1: the whole buffer is discarded",
        step: {
          actions: ({ context }) => {
            const lost = h.pending.at(v).load();
            fig.at(F.recordsLost).add(lost);
            h.pending.at(v).store(0);
            setSpeReg(h, v, PMBPTR, BigInt(bufferVa(v)));
            setSpeReg(h, v, PMBSR, 0n);
            note(`guest: DL set, ${lost} records discarded`);
            const cause = context.cause as FaultCause;
            if (lost > 0 && guestCaused(cause) && FIRST_FAULT_DESIGNS.has(design)) {
              raiseViolation(NO_RECORD_LOSS_ON_FIRST_FAULT, `vcpu${v} lost ${lost} records to a stage-2 fault on its buffer caused by the guest (${cause}): KVM pinned too late`);
            }
          },
          target: 'guest',
        },
      },
      arm_spe_pmu_irq_full: {
        description: "the guest's buffer-full interrupt: records handed to perf, buffer restarted",
        step: { actions: drain, target: 'guest' },
      },
      done: { final: true },
    },
  });
}

/** Designs that pin on the first stage-2 fault and claim it loses nothing (seed 004, approach 4 and option b). */
export const FIRST_FAULT_DESIGNS: ReadonlySet<PinningDesign> = new Set(['pin-on-first-fault', 'pin-on-enable+first-fault', 'pin-on-first-fault-page']);
