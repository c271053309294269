// Chromium plays a Godot web export's WebSocketMultiplayerPeer client: it
// opens a WebSocket to process.argv[2], takes the first binary message as
// its id (int32 little-endian), sends the packet "hello" back, waits for one
// more message, and prints JSON of what it saw.
'use strict';
const { chromium } = require('playwright-core');

(async () => {
  const url = process.argv[2];
  const ctx = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
    executablePath: process.env.CHROMIUM_PATH,
    headless: true,
    args: process.env.CHROMIUM_FLAGS.split(' '),
  });
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const result = await page.evaluate((url) => new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      const out = { protocol: '', messages: [] };
      ws.onopen = () => { out.protocol = ws.protocol; };
      ws.onmessage = (e) => {
        const binary = e.data instanceof ArrayBuffer;
        const bytes = binary ? new Uint8Array(e.data) : new TextEncoder().encode(e.data);
        out.messages.push({ binary, hex: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') });
        if (out.messages.length === 1) {
          out.id = binary && bytes.length === 4 ? new DataView(e.data).getInt32(0, true) : -1;
          ws.send(new TextEncoder().encode('hello'));
        } else {
          ws.close(1000);
        }
      };
      ws.onclose = (e) => { out.code = e.code; resolve(out); };
    }), url);
    console.log(JSON.stringify(result));
  } finally {
    await ctx.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
