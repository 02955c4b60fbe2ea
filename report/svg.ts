// DOT to SVG, offline, with Graphviz compiled to WebAssembly (@viz-js/viz).
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  viz ??= instance();
  return (await viz).renderString(dot, { format: 'svg', engine: 'dot' });
}
