// arm64's names for the architecture-neutral primitives: the words of a stage-2 TLB and the TLB
// invalidations KVM makes, under the kernel's function names (arch/arm64/kvm/hyp/*/tlb.c).
// Each flush is the kernel's sequence: dsb(ishst) so the walkers see the table updates before the
// invalidation, the TLBI, then dsb(ish), which waits for it to complete on every CPU (under sc
// the barriers order nothing and the TLBI completes at once; under arm64 see tlb.ts).
import { dsb, isb } from './barriers.ts';
import type { Tlbs, TlbWords } from './tlb.ts';

/** How an arm64 stage-2 TLB is spoken of: entries tagged by VMID, translating IPAs of a VM. */
export const ARM64_STAGE2_TLB_WORDS: TlbWords = { tag: 'VMID', address: 'IPA', owner: 'VM' };

/** __kvm_flush_vm_context(): TLBI ALLE1IS, every entry of every VMID on every CPU. */
export function __kvm_flush_vm_context(tlbs: Tlbs): void {
  dsb('ishst');
  tlbs.invalidate('all', 'broadcast', 'TLBI ALLE1IS (__kvm_flush_vm_context)');
  dsb('ish');
}

/** The TLBI VMALLS12E1IS instruction alone: issued, complete only at a later dsb(ish) (a mutant leaves that out). */
export function __tlbi_vmalls12e1is(tlbs: Tlbs, vmid: number): void {
  tlbs.invalidate({ tag: vmid }, 'broadcast', 'TLBI VMALLS12E1IS');
}

/** The TLBI IPAS2E1IS instruction over IPA pages [first, first + pages) alone, as above. */
export function __tlbi_ipas2e1is(tlbs: Tlbs, vmid: number, first: number, pages: number): void {
  tlbs.invalidate({ tag: vmid, pages: [first, pages] }, 'broadcast', 'TLBI IPAS2E1IS');
}

/** __kvm_tlb_flush_vmid(): TLBI VMALLS12E1IS, every entry of one VMID on every CPU. */
export function __kvm_tlb_flush_vmid(tlbs: Tlbs, vmid: number): void {
  dsb('ishst');
  __tlbi_vmalls12e1is(tlbs, vmid);
  dsb('ish');
  isb();
}

/** __kvm_tlb_flush_vmid_range(): TLBI IPAS2E1IS over IPA pages [first, first + pages) of one VMID, on every CPU. */
export function __kvm_tlb_flush_vmid_range(tlbs: Tlbs, vmid: number, first: number, pages: number): void {
  dsb('ishst');
  __tlbi_ipas2e1is(tlbs, vmid, first, pages);
  dsb('ish');
  isb();
}

/**
 * __kvm_tlb_flush_vmid_ipa(): TLBI IPAS2E1IS of one IPA page, on every CPU. It removes the entries
 * translating that page (a page, or a block over it), not those of the other pages a table maps.
 */
export function __kvm_tlb_flush_vmid_ipa(tlbs: Tlbs, vmid: number, page: number): void {
  __kvm_tlb_flush_vmid_range(tlbs, vmid, page, 1);
}

/** __kvm_tlb_flush_vmid_ipa_nsh(): TLBI IPAS2E1 of one IPA page, on the calling CPU only (its dsb(nsh) modelled as dsb(ish), which completes it as well). */
export function __kvm_tlb_flush_vmid_ipa_nsh(tlbs: Tlbs, vmid: number, page: number, cpu: number): void {
  tlbs.invalidate({ tag: vmid, pages: [page, 1] }, cpu, 'TLBI IPAS2E1');
  dsb('ish');
}
