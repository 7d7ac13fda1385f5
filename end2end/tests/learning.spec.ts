import { test, expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { expectNoAxeViolations, expectNoSidewaysScroll, expectTapTargets, hydrated } from './checks';

// Learning beyond chat (issue 14), as a new learner of Portuguese: the
// placement test gives a level that the home page then picks, a vocabulary
// lesson fills the review deck, a mistake made in chat becomes a card, the
// due cards are reviewed, and the progress page shows it all.

const SCREENS = 'test-results/screens';
const placement = JSON.parse(fs.readFileSync(
  path.resolve(__dirname, '../../data/learn/portuguese/placement.json'), 'utf8'));

test.afterEach(async ({ request }) => {
  const list = await request.get('/conversations');
  if (!list.ok()) return;
  for (const c of await list.json()) await request.delete(`/conversations/${c.id}`);
});

test('a new learner is placed, learns words, reviews a chat mistake and sees progress', async ({ page }) => {
  // Placement: right up to A2, wrong from B1 on.
  await page.goto('/placement?language=portuguese');
  await hydrated(page);
  await expect(page.locator('li.question')).toHaveCount(placement.questions.length);
  for (const q of placement.questions) {
    const right = q.level === 'A1' || q.level === 'A2';
    const pick = right ? q.answer : q.choices.find((c: string) => c !== q.answer);
    await page.locator(`li.question[data-id="${q.id}"] input[value="${pick.replace(/"/g, '\\"')}"]`).check();
  }
  await expect(page.getByText(`${placement.questions.length} of ${placement.questions.length} answered`)).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/placement.png`, fullPage: true });
  await page.getByRole('button', { name: 'See my level' }).click();
  await expect(page.locator('.level-badge')).toHaveText('A2');
  await page.screenshot({ path: `${SCREENS}/placement-result.png`, fullPage: true });

  // The home page now picks Portuguese at A2.
  await page.getByRole('link', { name: 'Talk with the tutor at A2' }).click();
  await hydrated(page);
  await expect(page.locator('select[name="language"]')).toHaveValue('portuguese');
  await expect(page.locator('select[name="difficulty_level"]')).toHaveValue('A2');

  // A vocabulary lesson: reveal and rate every word, then the quiz.
  await page.goto('/learn?language=portuguese');
  await hydrated(page);
  await page.screenshot({ path: `${SCREENS}/learn.png`, fullPage: true });
  await page.locator('li.lesson-item a').first().click();
  await hydrated(page);
  const words = await page.locator('.progress-note').first().textContent();
  const total = Number(/of (\d+)/.exec(words ?? '')![1]);
  for (let i = 0; i < total; i++) {
    await page.getByRole('button', { name: 'Show the word' }).click();
    await expect(page.locator('.flashcard .back')).toBeVisible();
    if (i === 0) await page.screenshot({ path: `${SCREENS}/vocabulary-card.png`, fullPage: true });
    await page.getByRole('button', { name: i === 0 ? 'Again' : 'Good' }).click();
  }
  for (let q = 0; q < 5; q++) {
    await page.locator('.quiz button.choice').first().click();
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await expect(page.getByText(`its ${total} words are in your review deck`)).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/vocabulary-done.png`, fullPage: true });

  // A grammar exercise answered wrong.
  await page.goto('/learn?language=portuguese');
  await hydrated(page);
  await page.locator('li.lesson-item a[href^="/learn/grammar/"]').first().click();
  await hydrated(page);
  const fill = page.locator('.exercise[data-kind="FillBlank"]').first();
  await fill.locator('input').fill('zzz');
  await fill.getByRole('button', { name: 'Check' }).click();
  await expect(fill.locator('.verdict.bad')).toContainText('Answer:');
  await page.screenshot({ path: `${SCREENS}/grammar.png`, fullPage: true });

  // A mistake in chat: the tutor corrects 'eu é'.
  await page.goto('/?language=portuguese');
  await hydrated(page);
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/\d+$/);
  await expect(page.locator('li.message.assistant').first()).toBeVisible();
  const input = page.getByLabel('Your message');
  await input.fill('eu é estudante');
  await input.press('Enter');
  await expect(page.locator('li.message.user .corrections')).toBeVisible();
  await expect(page.locator('li.message.user .deck-note')).toContainText('Saved to your review deck');
  await expect(page.locator('li.message.user .deck-note a')).toHaveAttribute('href', '/review?language=portuguese');
  const mistakes = await page.locator('li.message.user .correction').count();
  expect(mistakes).toBeGreaterThan(0);
  const fixes = await page.locator('li.message.user .correction ins').allTextContents();
  const due = `${1 + mistakes} cards due`;

  // The home page says what is due; the review page shows the mistake.
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('.due-banner')).toContainText(due);
  await page.goto('/review?language=portuguese');
  await hydrated(page);
  await expect(page.locator('.due-count')).toHaveText(due);
  const seen: string[] = [];
  for (let i = 0; i < 1 + mistakes; i++) {
    const card = page.locator('.flashcard');
    seen.push((await card.getAttribute('data-kind')) ?? '');
    await page.getByRole('button', { name: 'Show the answer' }).click();
    if (seen[i] === 'mistake') {
      expect(fixes).toContain(await card.locator('.back').textContent());
      await page.screenshot({ path: `${SCREENS}/review.png`, fullPage: true });
    }
    const before = await page.locator('.due-count').textContent();
    await page.getByRole('button', { name: 'Good' }).click();
    // The rating is stored before the next card shows: wait for the count
    // to move on, or the next card's kind would be read from this one.
    await expect(page.locator('.due-count')).not.toHaveText(before ?? '');
  }
  expect(seen.filter((k) => k === 'grammar')).toHaveLength(1);
  expect(seen.filter((k) => k === 'mistake')).toHaveLength(mistakes);
  await expect(page.locator('.due-count')).toHaveText('No cards due');

  // Progress: level, lessons, messages, cards and the charts.
  await page.goto('/progress?language=portuguese');
  await hydrated(page);
  await expect(page.locator('.stat[data-stat="Level"] dd')).toHaveText('A2');
  await expect(page.locator('.stat[data-stat="Lessons completed"] dd')).toHaveText('1');
  await expect(page.locator('.stat[data-stat="Messages written"] dd')).toHaveText('1');
  await expect(page.locator('.stat[data-stat="Streak"] dd')).toHaveText('1 day');
  await expect(page.locator('.stat[data-stat="Cards learned"] dd')).toHaveText(`${total + 1 + mistakes} of ${total + 1 + mistakes}`);
  await expect(page.locator('svg.chart.activity rect.bar.reviews')).not.toHaveCount(0);
  await expect(page.locator('svg.chart.mistakes rect.bar')).not.toHaveCount(0);
  await expect(page.locator('svg.chart.placements circle.point')).toHaveCount(1);
  await page.screenshot({ path: `${SCREENS}/progress.png`, fullPage: true });
});

test('every learning page passes axe-core, fits a phone and has 44 px targets', async ({ page, request }) => {
  test.setTimeout(180_000);
  // A due card for the review page: a grammar answer gone wrong.
  const grammar = await (await request.get('/grammar/lessons?language=french')).json();
  const lesson = await (await request.get(`/grammar/lessons/${grammar[0].id}`)).json();
  const wrong = await request.post(`/grammar/exercises/${lesson.exercises[0].id}/submit`, { data: { answer: 'zzz' } });
  expect(wrong.status()).toBe(200);
  const vocab = await (await request.get('/vocabulary/lessons?language=french')).json();
  const pages: [string, string, (p: Page) => Promise<void>][] = [
    ['learn', '/learn?language=french', async (p) => { await expect(p.locator('li.lesson-item').first()).toBeVisible(); }],
    ['vocabulary', `/learn/vocabulary/${vocab[0].id}`, async (p) => {
      await p.getByRole('button', { name: 'Show the word' }).click();
      await expect(p.locator('.ratings')).toBeVisible();
    }],
    ['grammar', `/learn/grammar/${grammar[0].id}`, async (p) => {
      const first = p.locator('.exercise').first();
      await first.locator('button.choice, .word-bank button').first().click();
      await first.getByRole('button', { name: 'Check' }).click();
      await expect(first.locator('.verdict')).toBeVisible();
    }],
    ['review', '/review?language=french', async (p) => {
      await p.getByRole('button', { name: 'Show the answer' }).click();
      await expect(p.locator('.ratings')).toBeVisible();
    }],
    ['placement', '/placement?language=french', async (p) => { await expect(p.locator('li.question')).toHaveCount(25); }],
    ['progress', '/progress?language=portuguese', async (p) => { await expect(p.locator('svg.chart').first()).toBeVisible(); }],
  ];
  let total = 0;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
      await page.setViewportSize(size);
      for (const [name, path, ready] of pages) {
        await page.goto(path);
        await hydrated(page);
        await ready(page);
        total += await expectNoAxeViolations(page, `${name} at ${size.width} px, ${scheme}`);
        if (size.width === 390) {
          await expectNoSidewaysScroll(page, `${name} at 390 px`);
          await expectTapTargets(page, `${name} at 390 px`);
          if (scheme === 'light') await page.screenshot({ path: `${SCREENS}/phone-${name}.png`, fullPage: true });
        }
      }
    }
  }
  expect(total).toBe(0);
});
