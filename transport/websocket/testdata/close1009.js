// Chromium opens a WebSocket to process.argv[2], sends one binary message
// of each size in process.argv[3] (comma-separated) on a fresh connection,
// and prints JSON of the close event each connection ended with.
'use strict';
const { chromium } = require('playwright-core');

(async () => {
  const url = process.argv[2];
  const sizes = process.argv[3].split(',').map(Number);
  const ctx = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
    executablePath: process.env.CHROMIUM_PATH,
    headless: true,
    args: process.env.CHROMIUM_FLAGS.split(' '),
  });
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const results = [];
    for (const size of sizes) {
      results.push(await page.evaluate(({ url, size }) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => ws.send(new Uint8Array(size));
        ws.onclose = (e) => resolve({ size, code: e.code, reason: e.reason, wasClean: e.wasClean });
      }), { url, size }));
    }
    console.log(JSON.stringify(results));
  } finally {
    await ctx.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
