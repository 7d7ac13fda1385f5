import { test, expect, Page } from '@playwright/test';
import { hydrated } from './checks';

test('a learner starts, chats, reopens and deletes a conversation', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Practise a language by talking' })).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/home.png', fullPage: true });

  await page.locator('select[name="language"]').selectOption('french');
  await page.locator('select[name="difficulty_level"]').selectOption('A2');
  await expect(page.locator('select[name="topic_id"] option[value="restaurant"]')).toHaveText(/Au restaurant/);
  await page.locator('select[name="topic_id"]').selectOption('restaurant');
  // The chosen topic's description, in the language being learned.
  await expect(page.locator('.topic-description')).toContainText('Commander un repas');
  await page.getByRole('button', { name: 'Start conversation' }).click();

  await expect(page).toHaveURL(/\/c\/\d+$/);
  await expect(page.locator('.conversation-title')).toHaveText(/French · A2 · Au restaurant/);
  const opening = page.locator('li.message.assistant').first();
  await expect(opening).toContainText('Bonsoir');

  const input = page.getByLabel('Your message');
  await input.fill('je va au restaurant');
  await input.press('Enter');

  const mine = page.locator('li.message.user').first();
  await expect(mine).toContainText('je va au restaurant');
  await expect(mine.locator('.corrections')).toContainText('Je vais');
  await expect(mine.locator('.chip.grammar')).toBeVisible();
  await expect(page.locator('li.message.assistant')).toHaveCount(2);
  // The better sentence can be heard, in the conversation's language.
  await page.evaluate(() => {
    const w = window as any;
    w.__heard = [];
    speechSynthesis.speak = (u: SpeechSynthesisUtterance) => { w.__heard.push([u.text, u.lang]); };
  });
  await mine.getByRole('button', { name: 'Listen to the better sentence' }).click();
  const heard = await page.evaluate(() => (window as any).__heard);
  expect(heard).toHaveLength(1);
  expect(heard[0][0]).toContain('Je vais');
  expect(heard[0][1]).toBe('fr');
  await page.screenshot({ path: 'test-results/screens/conversation.png', fullPage: true });

  // The translation toggle fetches and shows the learner-language text.
  await opening.getByRole('button', { name: 'Translate' }).click();
  await expect(opening.locator('.translation')).not.toBeEmpty();

  const url = page.url();
  await page.goto('/');
  await hydrated(page);
  const item = page.locator('li.conversation-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('French');
  await expect(item).toContainText('Au restaurant');
  await expect(item).toContainText('3 messages');
  await item.locator('a.open').click();
  await expect(page).toHaveURL(url);
  await expect(page.locator('li.message')).toHaveCount(3);
  await expect(page.locator('li.message.user .corrections')).toContainText('Je vais');

  await page.goto('/');
  await hydrated(page);
  page.once('dialog', (d) => d.accept());
  await page.locator('li.conversation-item button.delete').click();
  await expect(page.locator('li.conversation-item')).toHaveCount(0);
  await expect(page.getByText('No conversations yet')).toBeVisible();
});

test('BabblrPerf times every API call with backend times', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  expect(await page.evaluate(() => typeof (window as any).BabblrPerf)).toBe('object');
  await page.evaluate(() => (window as any).BabblrPerf.enable());
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => (window as any).BabblrPerf.isEnabled())).toBe(true);

  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.locator('select[name="language"]').selectOption('german');
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page.locator('li.message.assistant')).toHaveCount(1);
  const input = page.getByLabel('Your message');
  await input.fill('ich bist müde');
  await input.press('Enter');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);

  const measures = await page.evaluate(() => (window as any).BabblrPerf.getMeasures());
  const chat = measures.find((m: any) => m.name === 'api.POST./chat/stream');
  expect(chat, JSON.stringify(measures)).toBeTruthy();
  expect(chat.backend_ms).toBeGreaterThan(0);
  expect(chat.duration).toBeGreaterThanOrEqual(chat.backend_ms);
  expect(measures.some((m: any) => m.name === 'api.POST./conversations')).toBe(true);

  const entries = await page.evaluate(() =>
    performance.getEntriesByType('measure').map((e: any) => ({ name: e.name, detail: e.detail })));
  // The reply streams: its headers (and so backend_ms) come when the learner's
  // message is stored; the measure runs until the last piece.
  const entry = entries.find((e) => e.name === 'api.POST./chat/stream');
  expect(entry?.detail?.backend_ms).toBeGreaterThan(0);
  expect(entry?.detail?.server_timing.map((s: any) => s.name)).toContain('chat.save_user_message');
  expect(entry?.detail?.request_id).toMatch(/^[0-9a-f]{32}$/);
  const ui = (name: string) => measures.find((m: any) => m.name === name);
  expect(ui('ui.send_to_first_token')).toBeTruthy();
  expect(ui('ui.send_to_reply').duration).toBeGreaterThanOrEqual(ui('ui.send_to_first_token').duration);
  expect(ui('ui.hydrate')).toBeTruthy();

  expect(logs.some((l) => /^\[PERF\] api\.POST\.\/chat\/stream - Backend: \d+\.\d{2}ms, Network\+Frontend: \d+\.\d{2}ms$/.test(l)), logs.join('\n')).toBe(true);
  expect(logs.some((l) => /^\[PERF\] api\.POST\.\/conversations - Backend: \d+\.\d{2}ms/.test(l)), logs.join('\n')).toBe(true);

  const report = await page.evaluate(() => (window as any).BabblrPerf.report());
  const row = report.find((r: any) => r.name === 'api.POST./chat/stream');
  expect(row.count).toBe(1);
  expect(row.p95).toBeGreaterThanOrEqual(row.p50);
  const exported = JSON.parse(await page.evaluate(() => (window as any).BabblrPerf.exportJson()));
  expect(exported.measures.length).toBe(measures.length);

  await page.evaluate(() => (window as any).BabblrPerf.logEvent('user_clicked_send', { from: 'test' }));
  expect(await page.evaluate(() => (window as any).BabblrPerf.getMeasures().some((m: any) => m.name === 'user_clicked_send'))).toBe(true);
  await page.evaluate(() => (window as any).BabblrPerf.clear());
  expect(await page.evaluate(() => (window as any).BabblrPerf.getMeasures().length)).toBe(0);
  await page.evaluate(() => (window as any).BabblrPerf.disable());
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => (window as any).BabblrPerf.isEnabled())).toBe(false);

  // The settings panel's switch is the same one.
  await page.getByText('Settings').click();
  const perfBox = page.locator('input[name="perf_debug"]');
  await expect(perfBox).not.toBeChecked();
  await perfBox.check();
  expect(await page.evaluate(() => (window as any).BabblrPerf.isEnabled())).toBe(true);
  await page.locator('select[name="correction_max_level"]').selectOption('off');
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem('babblr_settings') ?? '{}').correction_max_level)).toBe('off');
});

test('the perf page draws the spans of requests just made', async ({ page, request }) => {
  const created = await request.post('/conversations', {
    data: { language: 'spanish', difficulty_level: 'A1', topic_id: 'greetings' },
  });
  expect(created.status()).toBe(200);
  const { id } = await created.json();
  const chat = await request.post('/chat', { data: { conversation_id: id, user_message: 'yo es Ana' } });
  expect(chat.status()).toBe(200);

  await page.goto('/perf');
  await hydrated(page);
  const row = page.locator('li.request-row', { hasText: 'POST /chat' }).first();
  await expect(row).toBeVisible();
  await expect(row.locator('rect[data-span="chat.generate_response_llm"]')).toHaveCount(1);
  await expect(row.locator('rect.bar.llm').first()).toBeVisible();
  await row.click();
  await expect(page.locator('.details')).toContainText('chat.save_user_message');
  await expect(page.locator('.details code')).toHaveText(/^[0-9a-f]{32}$/);
  const stat = page.locator('tr.stat-row[data-name="chat.correct_text"]');
  await expect(stat).toBeVisible();
  await expect(stat.locator('svg.mini line.good')).toHaveCount(1);
  await expect(page.locator('tr.stat-row[data-name="POST /chat"] .verdict')).toHaveText(/good|acceptable|investigate/);
  // Live refresh calls the API from the browser, so BabblrPerf's measures appear beside the server's.
  await expect(page.locator('tr.browser-row[data-name="api.GET./api/perf/requests"]')).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/perf.png', fullPage: true });
});

test('the conversation is server-rendered, and an unanswered message offers its reply', async ({ page, request }) => {
  const created = await request.post('/conversations', {
    data: { language: 'english', difficulty_level: 'B1', topic_id: 'travel' },
  });
  const { id } = await created.json();
  // The LLM fails: the learner's message is stored, its reply is not.
  const failed = await request.post('/chat', { data: { conversation_id: id, user_message: 'I is ready #fault:500' } });
  expect(failed.status()).toBe(503);

  // The server's HTML already holds the messages: readable before the WASM runs.
  const html = await (await request.get(`/c/${id}`)).text();
  expect(html).toContain('I is ready #fault:500');
  expect(html).toContain('English · B1');

  await page.goto(`/c/${id}`);
  await hydrated(page);
  // No API call was needed to show the conversation.
  const calls = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/api/conversation')));
  expect(calls).toEqual([]);
  const offer = page.locator('[data-role="unanswered"]');
  await expect(offer).toContainText('no reply yet');
  await offer.getByRole('button', { name: 'Get the reply' }).click();
  // The same stored message is answered again (here the LLM fails again):
  // no second copy of it appears.
  await expect(page.locator('.error')).toContainText('llm unavailable');
  await expect(page.locator('li.message.user')).toHaveCount(1);
  const stored = await (await request.get(`/conversations/${id}/messages`)).json();
  expect(stored.length).toBe(1);
  await request.delete(`/conversations/${id}`);
});
