// End-to-end chat in headless Chromium: two tabs (alice, bob) join the Go
// chat server at process.argv[2], chat through the page's UI, wait for the
// Go client "gopher" to answer, and print JSON of the lines each tab shows.
// On failure, screenshots of both tabs go to $ARTIFACT_DIR.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const base = process.argv[2];
const timeout = 20000;

async function waitLine(page, prefix) {
  await page.waitForFunction(
    (p) => window.chatState && window.chatState.lines.some((l) => l.startsWith(p)),
    prefix, { timeout });
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

(async () => {
  const ctx = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
    executablePath: process.env.CHROMIUM_PATH,
    headless: true,
    args: process.env.CHROMIUM_FLAGS.split(' '),
    ignoreHTTPSErrors: true, // the wss run uses a self-signed devcert certificate
  });
  const pages = {};
  try {
    pages.alice = ctx.pages()[0] || await ctx.newPage();
    for (const p of [pages.alice]) p.on('pageerror', (e) => console.error('alice page error:', e));
    await pages.alice.goto(base + '/?nick=alice');
    await waitLine(pages.alice, '* welcome alice');

    pages.bob = await ctx.newPage();
    pages.bob.on('pageerror', (e) => console.error('bob page error:', e));
    await pages.bob.goto(base + '/?nick=bob');
    await waitLine(pages.bob, '* welcome bob');
    await waitLine(pages.alice, '* bob joined');

    await say(pages.alice, 'hello from alice ✓');
    await waitLine(pages.bob, '<alice> hello from alice ✓');
    await say(pages.bob, 'hi from bob 🌍');
    await waitLine(pages.alice, '<bob> hi from bob 🌍');

    // The Go client answers once it has seen bob's message.
    await waitLine(pages.alice, '<gopher> hello from gopher');
    await waitLine(pages.bob, '<gopher> hello from gopher');

    const result = {};
    for (const [name, page] of Object.entries(pages)) {
      result[name] = await page.evaluate(() => ({
        lines: window.chatState.lines,
        messages: window.chatState.messages,
        closed: window.chatState.closed,
      }));
    }
    console.log(JSON.stringify(result));
    await ctx.close();
  } catch (e) {
    console.error('e2e failed:', e && e.stack || e);
    for (const [name, page] of Object.entries(pages)) {
      const file = path.join(process.env.ARTIFACT_DIR, 'websocket-chat-' + new URL(base).protocol.replace(':', '') + '-' + name + '.png');
      try {
        await page.screenshot({ path: file, fullPage: true });
        console.error('screenshot:', file);
      } catch (se) {
        console.error('screenshot failed:', se.message);
      }
    }
    await ctx.close().catch(() => {});
    process.exit(1);
  }
})();
