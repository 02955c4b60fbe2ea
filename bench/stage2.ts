// Stage-2 tables at scale: a 4 GiB IPA space mapped with 4 KiB pages (tables allocated lazily),
// then unmapped; operations per second next to a reference measured in the same run (plain
// Atomics stores of 64-bit descriptors into a shared buffer), and shared-memory bytes per GiB.
import { Layout } from '../host/layout.ts';
import { Prot } from '../host/stage2/descriptor.ts';
import { KvmPgtable } from '../host/stage2/pgtable.ts';
import { GuestFrames, TablePool } from '../host/stage2/pool.ts';
import { ViolationBox, setViolationBox } from '../host/violations.ts';
import { median } from './stats.ts';

const GIB = 1024 ** 3;

export interface Stage2Bench {
  mappedGiB: number;
  mapPagesPerSec: number;
  unmapPagesPerSec: number;
  rawDescriptorStoresPerSec: number;
  mapVsRawStores: number;
  tablesPerGiB: number;
  tableBytesPerGiB: number;
  sharedBytesPerGiB: number;
}

export function stage2Bench(gib: number, runs: number): Stage2Bench {
  const pages = (gib * GIB) / 4096;
  const tablePages = (gib * GIB) / (2 * 1024 * 1024) + gib + 8;
  const layout = new Layout();
  const pool = new TablePool(layout, tablePages);
  const frames = new GuestFrames(layout, pages);
  const box = new ViolationBox(layout);
  layout.bind();
  setViolationBox(box);
  const pgt = new KvmPgtable(pool, frames, 40);
  const map: number[] = [];
  const unmap: number[] = [];
  let tablesInUse = 0;
  for (let r = 0; r < runs; r++) {
    pool.init();
    pgt.init();
    let t = performance.now();
    pgt.map(0, gib * GIB, 0, Prot.R | Prot.W);
    map.push(pages / ((performance.now() - t) / 1000));
    tablesInUse = pgt.tablePages().size;
    t = performance.now();
    pgt.unmap(0, gib * GIB);
    unmap.push(pages / ((performance.now() - t) / 1000));
    if (pgt.tablePages().size !== 1) throw new Error('unmap left tables behind');
  }
  const raw: number[] = [];
  const store = new BigInt64Array(new SharedArrayBuffer(512 * 8 * 64));
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < pages; i++) Atomics.store(store, i & (store.length - 1), BigInt(i) << 12n);
    raw.push(pages / ((performance.now() - t) / 1000));
  }
  const mapRate = median(map);
  const rawRate = median(raw);
  return {
    mappedGiB: gib,
    mapPagesPerSec: Math.round(mapRate),
    unmapPagesPerSec: Math.round(median(unmap)),
    rawDescriptorStoresPerSec: Math.round(rawRate),
    mapVsRawStores: Math.round((mapRate / rawRate) * 100) / 100,
    tablesPerGiB: tablesInUse / gib,
    tableBytesPerGiB: (tablesInUse * 4096) / gib,
    sharedBytesPerGiB: Math.round(layout.byteLength / gib),
  };
}
