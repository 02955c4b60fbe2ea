// Medians, because machines here are noisy.
export function median(xs: number[]): number {
  const finite = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (finite.length < xs.length / 2) return Infinity;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

export async function medianOf(runs: number, measure: () => number | Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await measure());
  return median(xs);
}
