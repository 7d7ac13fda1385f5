import { test, expect } from '@playwright/test';
import { startSpanishRestaurant } from './checks';

// Hands-free: Chromium's fake microphone plays espeak-ng's Spanish "Hola, me
// llamo Juan. Quiero una mesa para dos personas, por favor." and then 3 s of
// silence (see playwright.config.ts). The audio streams to /stt/stream, the
// real Silero VAD finds the pause, real whisper.cpp transcribes each phrase,
// and the message is sent without a click.

test('hands-free: the learner speaks, the message goes at the pause, the reply is spoken per sentence', async ({ page }) => {
  test.setTimeout(120_000);
  // A spy on speechSynthesis: each sentence handed over, "spoken" at once.
  await page.addInitScript(() => {
    const w = window as any;
    w.__spoken = [];
    speechSynthesis.speak = (u: SpeechSynthesisUtterance) => {
      w.__spoken.push({ text: u.text, lang: u.lang });
      setTimeout(() => {
        u.onstart?.(new Event('start') as any);
        setTimeout(() => u.onend?.(new Event('end') as any), 30);
      }, 5);
    };
  });
  await startSpanishRestaurant(page);

  // The learner wants time to think: 2.5 s of quiet before a message goes.
  await page.locator('details.settings summary').click();
  await page.locator('select[name="voice_pause_ms"]').selectOption('2500');
  await page.locator('details.settings summary').click();

  const toggle = page.getByRole('button', { name: 'Hands-free conversation' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('.hands-free-status')).toBeVisible();

  // Partial text appears while the learner is still speaking or just after.
  const input = page.getByLabel('Your message');
  await expect(input).toHaveValue(/\S/, { timeout: 60_000 });

  // The utterance is sent without a click; the reply streams and is spoken.
  const mine = page.locator('li.message.user').first();
  await expect(mine).toContainText(/mesa|personas|juan/i, { timeout: 60_000 });
  await expect(page.locator('li.message.assistant')).toHaveCount(2, { timeout: 30_000 });
  await page.screenshot({ path: 'test-results/screens/hands-free.png', fullPage: true });
  const reply = (await page.locator('li.message.assistant').nth(1).locator('p.text').innerText()).trim();
  // One call per sentence (a long clause goes at its comma), in order, in
  // the conversation's language; together they are the whole reply.
  const sentences = reply.split(/(?<=[.!?…])\s+/).filter((s) => s.trim());
  await expect.poll(async () =>
    (await page.evaluate(() => (window as any).__spoken.map((s: any) => s.text).join(' '))) === sentences.join(' ')).toBe(true);
  const spoken: { text: string; lang: string }[] = await page.evaluate(() => (window as any).__spoken);
  expect(spoken.length).toBeGreaterThanOrEqual(sentences.length);
  expect(spoken.slice(0, -1).every((s) => /[.!?…,;:]$/.test(s.text)), JSON.stringify(spoken)).toBe(true);
  expect(spoken.every((s) => s.lang === 'es')).toBe(true);

  // The measures exist, start at the end of speech, and come in order.
  const measures = await page.evaluate(() =>
    performance.getEntriesByType('measure')
      .filter((m) => m.name.startsWith('ui.voice.'))
      .map((m) => ({ name: m.name, start: m.startTime, end: m.startTime + m.duration })));
  const get = (n: string) => measures.find((m) => m.name === `ui.voice.${n}`);
  const [transcript, token, audio] = ['end_of_speech_to_transcript', 'end_of_speech_to_first_token', 'end_of_speech_to_first_audio'].map(get);
  expect(transcript && token && audio, JSON.stringify(measures)).toBeTruthy();
  expect(token!.start).toBeCloseTo(transcript!.start, 0);
  // The message waited for the learner's own pause (the default is 0.7 s).
  expect(transcript!.end - transcript!.start).toBeGreaterThan(2000);
  expect(transcript!.end).toBeLessThanOrEqual(token!.end);
  expect(token!.end).toBeLessThanOrEqual(audio!.end);

  // /perf draws the turn as one waterfall from the end of speech.
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await page.getByRole('link', { name: /perf/i }).first().click();
  await expect(page.locator('.voice-turn').first()).toBeVisible();
  await expect(page.locator('.voice-turn rect[data-step="first sound"]').first()).toBeAttached();
});

test('a refused microphone is a clear note, and the keyboard still works', async ({ page }) => {
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await startSpanishRestaurant(page);
  const toggle = page.getByRole('button', { name: 'Hands-free conversation' });
  await toggle.click();
  await expect(page.locator('.error-row')).toContainText('microphone is blocked');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  const input = page.getByLabel('Your message');
  await input.fill('Hola, quiero una mesa.');
  await input.press('Enter');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);
  await expect(page.locator('.error-row')).toHaveCount(0);
});
