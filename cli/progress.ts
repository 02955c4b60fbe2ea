// A one-line progress display on a terminal's stderr; silent when not a TTY or with --json.
import type { ExploreProgress } from '../actors/explore/index.ts';

export class Progress {
  private shown = false;
  constructor(private readonly enabled: boolean) {}

  static forOutput(json: boolean): Progress {
    return new Progress(!json && !!process.stderr.isTTY);
  }

  update(label: string, p: ExploreProgress): void {
    if (!this.enabled) return;
    const rate = p.elapsedMs > 0 ? Math.round((p.steps / p.elapsedMs) * 1000) : 0;
    process.stderr.write(`\r\x1b[K${label}: ${p.iterations} runs, ${p.steps} steps, ${(p.elapsedMs / 1000).toFixed(1)} s, ${rate} steps/s`);
    this.shown = true;
  }

  /** Any one-line status. */
  line(text: string): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
