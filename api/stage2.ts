// `hyprace/stage2`: arm64 stage-2 translation as KVM keeps it: descriptors, the table pool and
// guest frames, struct kvm_pgtable with kvm_pgtable_walk() and its visitors, map, unmap and
// permission operations; the world of seed 001 (one VM's 2 MiB region, vCPUs pinned to CPUs),
// the vCPU's guest access path with its TLB lookup and fault, the built-in coalescing host
// thread, and the invariants and figures of that world.
export * from '../host/stage2/descriptor.ts';
export {
  KVM_PGTABLE_WALK_LEAF,
  KVM_PGTABLE_WALK_TABLE_POST,
  KVM_PGTABLE_WALK_TABLE_PRE,
  KvmPgtable,
  type Translation,
  type WalkCtx,
  type WalkFrame,
  type WalkState,
  type Walker,
} from '../host/stage2/pgtable.ts';
export { FRAME_PA_BASE, GuestFrames, REFCOUNT_BALANCE, TABLE_PA_BASE, TablePool } from '../host/stage2/pool.ts';
export {
  G,
  REGION,
  REGION_PAGES,
  VMID,
  WINDOW_COALESCE,
  WINDOW_SPLIT,
  stage2Host,
  stage2Init,
  makePteOrder,
  usesRwLock,
  type CoalesceDesign,
  type MmuLockKind,
  type Stage2Host,
  type Stage2Options,
  type Stage2WorldOptions,
} from '../host/stage2/world.ts';
export { NO_FREED_TRANSLATION, NO_STALE_DATA, TLB_NO_CONFLICT, stage2GuestAccess, stage2Vcpu, tagOf, user_mem_abort, type AbortResult, type Stage2AccessResult, type Stage2VcpuOptions } from '../machines/stage2-vcpu.ts';
export { stage2Coalescer } from '../machines/stage2-coalesce.ts';
export { stage2Figures, stage2Invariants, stage2Refcounts } from '../machines/stage2-invariants.ts';
