import { test, expect } from '@playwright/test';

// The server on port + 2 runs with nothing but the defaults and no Ollama:
// the built-in model (llama.cpp on SmolLM2-135M) is the tutor. Only that a
// real model answers through the whole learner flow is checked here, not how
// good a 135M model's French is.
const port = Number(process.env.BABBLR_E2E_PORT ?? 8123) + 2;
const base = `http://127.0.0.1:${port}`;

test('with no Ollama, the built-in model is the tutor, and says why', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const badge = page.locator('.tutor-badge');
  await expect(badge).toHaveText(/built-in · SmolLM2-135M-Instruct\.Q4_1\.gguf/);
  await expect(badge).toHaveAttribute('title', /Ollama not found at http:\/\/127\.0\.0\.1:\d+ — using the built-in model/);

  await page.locator('select[name="language"]').selectOption('french');
  await page.locator('select[name="difficulty_level"]').selectOption('A1');
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/\d+$/);
  // The model's opening (loading the model comes first: allow for it).
  const opening = page.locator('li.message.assistant').first();
  await expect(opening).not.toBeEmpty({ timeout: 90_000 });

  const input = page.getByLabel('Your message');
  await input.fill('je suis content');
  await input.press('Enter');
  await expect(page.locator('li.message.user').first()).toContainText('je suis content');
  // A streamed reply from the model, kept once it is done.
  await expect(page.locator('li.message.assistant')).toHaveCount(2, { timeout: 90_000 });
  await expect(page.locator('li.message.assistant').nth(1)).not.toBeEmpty();
  await expect(page.locator('.message.assistant.streaming')).toHaveCount(0, { timeout: 90_000 });
});
