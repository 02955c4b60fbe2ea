// `hyprace/idregs`: the arm64 ID register space, KVM's storage of it (per vCPU, or per VM with a
// per-vCPU view), KVM_SET_ONE_REG's limit check, and the VMM restore thread and vCPU first run.
export { KvmIdRegs } from '../host/idregs/kvm.ts';
export { ID_REG_SPACE, idReg, type IdReg } from '../host/idregs/space.ts';
export { withinLimit } from '../host/idregs/set-id-reg.ts';
export { storageBytes, type IdRegStorageKind } from '../host/idregs/storage.ts';
export { vcpuFirstRun } from '../machines/idregs-vcpu.ts';
export { SET_ONE_REG_CONTRACT, vmmRestoreThread, type IdRegDesign, type RestoreOp } from '../machines/idregs-vmm.ts';
