// The browser the report test drives: the system's Chromium when one is on PATH, else the one
// the @sparticuz/chromium package ships, which must start on a machine with nothing installed.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, launchChromium } from './chromium.ts';
import { tempDir } from './temp-dirs.ts';

describe('chromium for the browser tests', function () {
  this.timeout(120_000);
  const withChromium = tempDir('hyprace-path-');
  writeFileSync(join(withChromium, 'chromium'), '#!/bin/sh\n', { mode: 0o755 });
  const without = tempDir('hyprace-path-');

  it("takes a chromium on PATH first, the package's with HYPRACE_CHROMIUM=npm, a path given in HYPRACE_CHROMIUM", async () => {
    expect(await findChromium({ PATH: `${without}:${withChromium}` })).to.deep.equal({ executablePath: join(withChromium, 'chromium'), env: {}, source: 'system' });
    expect((await findChromium({ PATH: withChromium, HYPRACE_CHROMIUM: 'npm' })).source).to.equal('npm');
    expect((await findChromium({ PATH: without, HYPRACE_CHROMIUM: join(withChromium, 'chromium') })).source).to.equal('HYPRACE_CHROMIUM');
    let error: unknown;
    await findChromium({ HYPRACE_CHROMIUM: join(without, 'chromium') }).catch((e) => (error = e));
    expect(String(error)).to.match(/HYPRACE_CHROMIUM=.*chromium: no such file/);
  });

  it("starts the package's Chromium headless when none is on PATH, and it renders a page", async () => {
    const found = await findChromium({ PATH: without });
    expect(found.source).to.equal('npm');
    const browser = await launchChromium(found);
    try {
      expect(browser.version().split('.')[0]).to.equal(found.packageVersion!.split('.')[0]);
      const page = await browser.newPage();
      await page.setContent('<svg width="120" height="80"><rect width="100" height="60"/></svg><p>hyprace</p>');
      expect(await page.locator('p').innerText()).to.equal('hyprace');
      expect(await page.locator('svg').boundingBox()).to.deep.include({ width: 120, height: 80 });
    } finally {
      await browser.close();
    }
  });
});
