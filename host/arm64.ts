// arm64's names for the architecture-neutral primitives: the words of a stage-2 TLB and the TLB
// invalidations KVM makes, under the kernel's function names (arch/arm64/kvm/hyp/*/tlb.c).
import type { Tlbs, TlbWords } from './tlb.ts';

/** How an arm64 stage-2 TLB is spoken of: entries tagged by VMID, translating IPAs of a VM. */
export const ARM64_STAGE2_TLB_WORDS: TlbWords = { tag: 'VMID', address: 'IPA', owner: 'VM' };

/** __kvm_flush_vm_context(): TLBI ALLE1IS, every entry of every VMID on every CPU. */
export function __kvm_flush_vm_context(tlbs: Tlbs): void {
  tlbs.invalidate('all', 'broadcast', 'TLBI ALLE1IS (__kvm_flush_vm_context)');
}

/** __kvm_tlb_flush_vmid(): TLBI VMALLS12E1IS, every entry of one VMID on every CPU. */
export function __kvm_tlb_flush_vmid(tlbs: Tlbs, vmid: number): void {
  tlbs.invalidate({ tag: vmid }, 'broadcast', 'TLBI VMALLS12E1IS');
}

/** __kvm_tlb_flush_vmid_range(): TLBI IPAS2E1IS over IPA pages [first, first + pages) of one VMID, on every CPU. */
export function __kvm_tlb_flush_vmid_range(tlbs: Tlbs, vmid: number, first: number, pages: number): void {
  tlbs.invalidate({ tag: vmid, pages: [first, pages] }, 'broadcast', 'TLBI IPAS2E1IS');
}

/**
 * __kvm_tlb_flush_vmid_ipa(): TLBI IPAS2E1IS of one IPA page, on every CPU. It removes the entries
 * translating that page (a page, or a block over it), not those of the other pages a table maps.
 */
export function __kvm_tlb_flush_vmid_ipa(tlbs: Tlbs, vmid: number, page: number): void {
  tlbs.invalidate({ tag: vmid, pages: [page, 1] }, 'broadcast', 'TLBI IPAS2E1IS');
}

/** __kvm_tlb_flush_vmid_ipa_nsh(): TLBI IPAS2E1 of one IPA page, on the calling CPU only. */
export function __kvm_tlb_flush_vmid_ipa_nsh(tlbs: Tlbs, vmid: number, page: number, cpu: number): void {
  tlbs.invalidate({ tag: vmid, pages: [page, 1] }, cpu, 'TLBI IPAS2E1');
}
