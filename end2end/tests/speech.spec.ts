import { test, expect, Page } from '@playwright/test';
import { startSpanishRestaurant } from './checks';

// Chromium's fake microphone plays espeak-ng's Spanish "… una mesa para dos
// personas, por favor." (see playwright.config.ts); the server transcribes it
// with the real Whisper base model.

test('a learner speaks an answer: recorded, transcribed, edited and sent', async ({ page }) => {
  test.setTimeout(120_000);
  await startSpanishRestaurant(page);

  const mic = page.getByRole('button', { name: 'Record a spoken answer' });
  await mic.click();
  await expect(page.locator('[data-state="recording"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop recording' })).toHaveAttribute('aria-pressed', 'true');
  await page.screenshot({ path: 'test-results/screens/recording.png', fullPage: true });

  // It stops by itself at the pause after the sentence, then transcribes.
  await expect(page.locator('[data-role="heard"]')).toBeVisible({ timeout: 90_000 });
  const input = page.getByLabel('Your message');
  const draft = (await input.inputValue()).toLowerCase();
  expect(draft).toMatch(/mesa|personas|favor/);
  await expect(input).toBeFocused();
  await page.screenshot({ path: 'test-results/screens/transcribed.png', fullPage: true });

  // The learner edits the transcript, then sends it as a normal message.
  await input.fill(`${await input.inputValue()} Gracias.`);
  await input.press('Enter');
  const mine = page.locator('li.message.user').first();
  await expect(mine).toContainText('Gracias.');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);
  await expect(page.locator('[data-role="heard"]')).toHaveCount(0);

  // The upload was timed like every call, with whisper's time from the server.
  const measures = await page.evaluate(() =>
    performance.getEntriesByType('measure').map((m: any) => ({ name: m.name, detail: m.detail })));
  const upload = measures.find((m) => m.name === 'api.POST./stt/transcribe');
  expect(upload, JSON.stringify(measures)).toBeTruthy();
  expect(upload!.detail.backend_ms).toBeGreaterThan(0);
  expect(upload!.detail.server_timing.some((s: any) => s.name === 'stt.transcribe_whisper')).toBe(true);
  expect(measures.some((m) => m.name === 'ui.record_to_transcript')).toBe(true);
});
