// Stage-2 translation table descriptors, 4 KiB granule, as the architecture lays them out:
//   bit 0 valid; bit 1 table (levels 0-2) or page (level 3), 0 at levels 1-2 = block;
//   OA [47:12]; MemAttr [5:2]; S2AP R bit 6, W bit 7; SH [9:8]; AF bit 10; XN bit 54;
//   software bits [58:55]. An invalid entry may carry an owner id in [9:2]; KVM marks an entry
//   being replaced as KVM_INVALID_PTE_LOCKED (bit 10, valid 0).
/** A stage-2 descriptor (kvm_pte_t), 64 bits. */
export type Pte = bigint;

/** Bit 0: the descriptor is valid. */
export const KVM_PTE_VALID = 1n << 0n;
/** Bit 1: a table (levels 0-2) or a page (level 3); clear at levels 1-2, a block. */
export const KVM_PTE_TYPE = 1n << 1n; // table, or page at level 3
/** The output address, bits [47:12]. */
export const KVM_PTE_ADDR_MASK = ((1n << 48n) - 1n) & ~((1n << 12n) - 1n);
/** Stage-2 MemAttr, bits [5:2]. */
export const KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR = 0xfn << 2n;
/** S2AP read permission, bit 6. */
export const KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R = 1n << 6n;
/** S2AP write permission, bit 7. */
export const KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W = 1n << 7n;
/** Shareability, bits [9:8]. */
export const KVM_PTE_LEAF_ATTR_LO_S2_SH = 3n << 8n;
/** The access flag, bit 10. */
export const KVM_PTE_LEAF_ATTR_LO_S2_AF = 1n << 10n;
/** Execute-never, bit 54. */
export const KVM_PTE_LEAF_ATTR_HI_S2_XN = 1n << 54n;
/** Bits [58:55], the software's. */
export const KVM_PTE_SW_BITS = 0xfn << 55n;
/** The owner id an invalid entry may carry, bits [9:2]. */
export const KVM_INVALID_PTE_OWNER_MASK = 0xffn << 2n;
/** KVM_INVALID_PTE_LOCKED: an invalid entry a walker is replacing (break-before-make in a shared walk). */
export const KVM_INVALID_PTE_LOCKED = 1n << 10n;

/** MemAttr for Normal, Write-Back memory (the stage-2 encoding 0b1111). */
export const MEMATTR_NORMAL_WB = 0xfn << 2n;
/** Inner Shareable. */
export const SH_IS = 3n << 8n;

/** 4 KiB pages. */
export const PAGE_SHIFT = 12;
/** Entries per table page. */
export const PTRS_PER_TABLE = 512;
/** Levels 0-3 of a 4 KiB-granule table. */
export const KVM_PGTABLE_MAX_LEVELS = 4;

/** KVM_PGTABLE_PROT_R/W/X, as bits. */
export const enum Prot {
  R = 1,
  W = 2,
  X = 4,
}

/** Address bits a level resolves: 39, 30, 21, 12. */
export function levelShift(level: number): number {
  return PAGE_SHIFT + (KVM_PGTABLE_MAX_LEVELS - 1 - level) * 9;
}

/** Bytes one entry at `level` maps: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
export function granuleSize(level: number): number {
  return 2 ** levelShift(level);
}

/** Whether the entry is valid. */
export function kvm_pte_valid(pte: Pte): boolean {
  return (pte & KVM_PTE_VALID) !== 0n;
}

/** A valid entry pointing to a next-level table (never at level 3). */
export function kvm_pte_table(pte: Pte, level: number): boolean {
  return level < KVM_PGTABLE_MAX_LEVELS - 1 && kvm_pte_valid(pte) && (pte & KVM_PTE_TYPE) !== 0n;
}

/** Whether the entry is KVM_INVALID_PTE_LOCKED. */
export function kvm_pte_locked(pte: Pte): boolean {
  return !kvm_pte_valid(pte) && (pte & KVM_INVALID_PTE_LOCKED) !== 0n;
}

/** The entry's output address. */
export function kvm_pte_to_phys(pte: Pte): number {
  return Number(pte & KVM_PTE_ADDR_MASK);
}

/** A physical address in the entry's OA field. */
export function kvm_phys_to_pte(pa: number): Pte {
  return BigInt(pa) & KVM_PTE_ADDR_MASK;
}

/** kvm_init_table_pte(): a table descriptor for the next-level table at `childPa`. */
export function kvm_init_table_pte(childPa: number): Pte {
  return kvm_phys_to_pte(childPa) | KVM_PTE_TYPE | KVM_PTE_VALID;
}

/** kvm_init_valid_leaf_pte(): a block (levels 1-2) or page (level 3) descriptor. */
export function kvm_init_valid_leaf_pte(pa: number, prot: number, level: number): Pte {
  let pte = kvm_phys_to_pte(pa) | KVM_PTE_VALID | MEMATTR_NORMAL_WB | SH_IS | KVM_PTE_LEAF_ATTR_LO_S2_AF;
  if (level === KVM_PGTABLE_MAX_LEVELS - 1) pte |= KVM_PTE_TYPE;
  if (prot & Prot.R) pte |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R;
  if (prot & Prot.W) pte |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W;
  if (!(prot & Prot.X)) pte |= KVM_PTE_LEAF_ATTR_HI_S2_XN;
  return pte;
}

/** A leaf's permissions as Prot bits. */
export function leafProt(pte: Pte): number {
  return (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R ? Prot.R : 0) | (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W ? Prot.W : 0) | (pte & KVM_PTE_LEAF_ATTR_HI_S2_XN ? 0 : Prot.X);
}

/** An invalid entry owned by `owner` (0: none). */
export function kvm_init_invalid_pte(owner = 0): Pte {
  return (BigInt(owner) << 2n) & KVM_INVALID_PTE_OWNER_MASK;
}

/** An entry in words: 'invalid', 'LOCKED', 'table -> 0x...', 'page 0x...', 'block 0x...'. */
export function describePte(pte: Pte, level: number): string {
  if (kvm_pte_locked(pte)) return 'LOCKED';
  if (!kvm_pte_valid(pte)) return 'invalid';
  const pa = `0x${kvm_pte_to_phys(pte).toString(16)}`;
  if (kvm_pte_table(pte, level)) return `table -> ${pa}`;
  return `${level === KVM_PGTABLE_MAX_LEVELS - 1 ? 'page' : 'block'} ${pa}`;
}
