// `hyprace/arm64`: arm64's names for the architecture-neutral primitives: VTTBR_EL2, the words of
// a stage-2 TLB, and KVM's TLB invalidations under their kernel names.
export { VTTBR_BADDR_MASK, VTTBR_EL2, VTTBR_VMID_SHIFT, make_vttbr, vttbr_baddr, vttbr_vmid } from '../host/stage2-register.ts';
export {
  ARM64_STAGE2_TLB_WORDS,
  __kvm_flush_vm_context,
  __kvm_tlb_flush_vmid,
  __kvm_tlb_flush_vmid_ipa,
  __kvm_tlb_flush_vmid_ipa_nsh,
  __kvm_tlb_flush_vmid_range,
  __tlbi_ipas2e1is,
  __tlbi_vmalls12e1is,
} from '../host/arm64.ts';
