// Drives the WebRTC chat page in headless Chromium (playwright-core):
//   node browser_chat.js PAGE_URL LOBBY NICK N_SAYS N_PINGS
// Prints one JSON line with what the page received; exits 1 on failure after
// saving a screenshot to $ARTIFACT_DIR.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [url, lobby, nick, nSays, nPings] = process.argv.slice(2);

(async () => {
  const args = process.env.CHROMIUM_FLAGS.split(' ').filter(Boolean);
  // Without this flag Chromium opens no ICE socket on loopback.
  args.push('--allow-loopback-in-peer-connection');
  const ctx = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
    executablePath: process.env.CHROMIUM_PATH,
    headless: true,
    args,
    // With capture permission granted Chromium shows real host candidates
    // instead of hiding them behind mDNS names pion cannot resolve here.
    permissions: ['camera', 'microphone'],
  });
  const page = await ctx.newPage();
  page.on('console', m => console.error('page:', m.text()));
  page.on('pageerror', e => console.error('page error:', e.message));
  try {
    await page.goto(url);
    await page.evaluate(([l, n]) => window.chat.connect(l, n), [lobby, nick]);
    await page.waitForFunction(() => window.chat.joined || window.chat.errors.length > 0, null, { timeout: 30000 });
    const errs = await page.evaluate(() => window.chat.errors);
    if (errs.length) throw new Error('page errors: ' + errs.join('; '));

    // Reliable channel: every say comes back (the room echoes to everyone), in order.
    const n = parseInt(nSays, 10);
    await page.evaluate(n => { for (let i = 0; i < n; i++) window.chat.say('message ' + i); }, n);
    await page.waitForFunction(([n, nick]) =>
      window.chat.messages.filter(m => m.type === 'say' && m.nick === nick).length >= n, [n, nick], { timeout: 30000 });
    // A message from the Go client in the room.
    await page.waitForFunction(() => window.chat.messages.some(m => m.type === 'say' && m.nick === 'gopher'), null, { timeout: 30000 });

    // Unreliable channel: pings echoed by the server.
    const pongs = await page.evaluate(n => window.chat.ping(n, 1000), parseInt(nPings, 10));
    const result = await page.evaluate(() => ({
      says: window.chat.messages.filter(m => m.type === 'say').map(m => m.nick + ': ' + m.text),
      welcome: window.chat.messages.find(m => m.type === 'welcome'),
      errors: window.chat.errors,
    }));
    result.pongs = pongs;
    console.log(JSON.stringify(result));
    await ctx.close();
  } catch (e) {
    console.error('FAILED:', e.message);
    try { await page.screenshot({ path: path.join(process.env.ARTIFACT_DIR, 'webrtc-chat-failure.png') }); } catch (_) {}
    try { console.error('page state:', JSON.stringify(await page.evaluate(() => ({ joined: window.chat.joined, errors: window.chat.errors, messages: window.chat.messages, conn: window.chat.pc && window.chat.pc.connectionState })))); } catch (_) {}
    await ctx.close();
    process.exit(1);
  }
})();
