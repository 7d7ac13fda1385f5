#!/usr/bin/env node
// The browser side's numbers, printed: release WASM size (raw and gzip), time
// to hydrate (the `ui.hydrate` measure) over fresh page loads, and for every
// timed API call the wrapper's own cost (`detail.wrapper_ms`) and total minus
// backend on loopback (goal: < 15 ms). Debian's Chromium, headless, driven by
// Playwright; the real server with the stand-in Ollama.
//
//   scripts/build.sh release && node scripts/bench_frontend.mjs [loads]
//
// Uses target/release/babblr when built, else target/debug/babblr.
import { chromium } from '../end2end/node_modules/@playwright/test/index.mjs';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const loads = Number(process.argv[2] ?? 20);
const bin = ['release', 'debug'].map((p) => join(root, 'target', p, 'babblr')).find(existsSync);
const port = 8130;
const standinPort = port + 1;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(2)} ms, p95 ${pct(xs, 95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms (n=${xs.length})`;

// Bytes on the wire for `url` when the browser accepts `encoding`.
function servedBytes(url, encoding) {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve({ bytes: n, encoding: res.headers['content-encoding'] ?? 'identity' }));
    }).on('error', reject);
  });
}

async function waitFor(url) {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

const wasm = readFileSync(join(root, 'target/site/pkg/babblr.wasm'));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`WASM: ${kb(wasm.length)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} with gzip -9`);

const dir = mkdtempSync(join(tmpdir(), 'babblr-bench-'));
const procs = [
  spawn(join(dirname(bin), 'babblr-standin'), ['--addr', `127.0.0.1:${standinPort}`], { stdio: 'ignore' }),
  spawn(bin, ['serve'], {
    stdio: 'ignore',
    env: {
      ...process.env,
      BABBLR_ADDR: `127.0.0.1:${port}`,
      BABBLR_LLM_URL: `http://127.0.0.1:${standinPort}`,
      BABBLR_LLM_WARMUP: '0',
      BABBLR_WHISPER_WARMUP: '0',
      DATABASE_URL: `sqlite://${dir}/bench.db`,
      LEPTOS_SITE_ROOT: join(root, 'target/site'),
      RUST_LOG: 'warn',
    },
  }),
];
try {
  await waitFor(`http://127.0.0.1:${port}/health`);
  for (const encoding of ['gzip', 'br']) {
    const s = await servedBytes(`http://127.0.0.1:${port}/pkg/babblr.wasm`, encoding);
    console.log(`WASM as served to a browser accepting ${encoding}: ${kb(s.bytes)} (content-encoding: ${s.encoding})${encoding === 'gzip' ? ' (goal < 350 KB gzip)' : ''}`);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await browser.newPage();
  const base = `http://127.0.0.1:${port}`;
  // The conversation page is rendered on the server: it should make no API
  // call to show itself. Each load gets a fresh conversation with a tutor
  // reply that has no translation yet; clicking Translate is then one timed
  // API call made while the page is idle, whose total minus backend is the
  // browser's and the network's share.
  const post = (path, body) => fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json());
  const hydrate = [];
  const hydratedAt = [];
  const contentfulAt = [];
  const loadCalls = [];
  const wrapper = [];
  const overhead = [];
  const floor = [];
  for (let i = 0; i < loads + 2; i++) {
    const conv = await post('/conversations', { language: 'spanish', difficulty_level: 'A1', topic_id: 'greetings' });
    await post('/chat', { conversation_id: conv.id, user_message: `hola ${i}` });
    await page.goto(`${base}/c/${conv.id}`);
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.waitForTimeout(50);
    const before = await page.evaluate(() => ({
      calls: performance.getEntriesByType('measure').filter((m) => m.name.startsWith('api.')).length,
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    }));
    await page.locator('li.message.assistant').last().getByRole('button', { name: 'Translate' }).click();
    await page.waitForFunction(() => performance.getEntriesByType('measure').some((m) => m.name === 'api.POST./api/translate'));
    const ms = await page.evaluate(() =>
      performance.getEntriesByType('measure').map((m) => ({ name: m.name, startTime: m.startTime, duration: m.duration, detail: m.detail })));
    // The floor: the same kind of call with a bare fetch() from the page
    // (no Leptos, no server-function client, no BabblrPerf).
    const bare = await page.evaluate(async (id) => {
      const t0 = performance.now();
      const r = await fetch('/api/translate', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message_id: id }),
      });
      await r.text();
      return performance.now() - t0 - parseFloat(r.headers.get('x-response-time'));
    }, conv.id);
    if (i < 2) continue; // warm the cache and the JIT first
    floor.push(bare);
    loadCalls.push(before.calls);
    contentfulAt.push(before.fcp);
    for (const m of ms) {
      if (m.name === 'ui.hydrate') {
        hydrate.push(m.duration);
        hydratedAt.push(m.startTime + m.duration);
      }
      if (m.name === 'api.POST./api/translate' && m.detail?.backend_ms != null) {
        wrapper.push(m.detail.wrapper_ms);
        overhead.push(m.duration - m.detail.backend_ms);
      }
    }
  }
  console.log(`conversation page, API calls made to show it: max ${Math.max(...loadCalls)} over ${loadCalls.length} loads (goal 0)`);
  console.log(`navigation start to first contentful paint (the server-rendered conversation): ${fmt(contentfulAt)}`);
  console.log(`navigation start to hydrated, ${loads} loads: ${fmt(hydratedAt)}`);
  console.log(`hydrate_body itself (ui.hydrate): ${fmt(hydrate)}`);
  console.log(`API calls, wrapper's own cost: ${fmt(wrapper)}`);
  console.log(`API call from the conversation page (Translate), total minus backend on loopback: ${fmt(overhead)} (goal < 5 ms)`);
  console.log(`the same with a bare fetch() from the page (the browser's and loopback's floor): ${fmt(floor)}`);
  await browser.close();
} finally {
  for (const p of procs) p.kill('SIGTERM');
}
