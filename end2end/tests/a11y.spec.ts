import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { expectNoAxeViolations, expectNoSidewaysScroll, expectTapTargets, hydrated } from './checks';

// Small screens and WCAG 2.1 AA (issue 20): axe-core on every page at phone
// and desktop widths, in the light and the dark palette; no sideways scrolling
// at 360 and 390 px and tap targets of at least 44 px; the learner flow with
// the keyboard alone; long words, URLs, 2,000 characters and right-to-left
// text; and how far the page moves while a reply streams (CLS).

const NARROW = { width: 360, height: 740 };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SCREENS = 'test-results/screens';

// The suite shares one database, and learner.spec.ts starts from an empty
// list: these tests leave no conversation behind.
test.afterEach(async ({ request }) => {
  const list = await request.get('/conversations');
  if (!list.ok()) return;
  for (const c of await list.json()) await request.delete(`/conversations/${c.id}`);
});

/** A conversation with the tutor's opening (translated), a corrected learner
 * message and a reply, and some requests for /perf to draw. Returns its id. */
async function seed(request: APIRequestContext): Promise<number> {
  const conversation = { language: 'french', difficulty_level: 'A2', topic_id: 'restaurant' };
  const created = await request.post('/conversations', { data: conversation });
  expect(created.status()).toBe(200);
  const { id } = await created.json();
  const opening = await request.post('/chat/initial-message', { data: { conversation_id: id, ...conversation } });
  expect(opening.status()).toBe(200);
  const chat = await request.post('/chat', { data: { conversation_id: id, user_message: 'je va au restaurant' } });
  expect(chat.status()).toBe(200);
  return id;
}

/** Opens a page and waits until its content (not just its frame) is there. */
async function openPage(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  if (path === '/') {
    await expect(page.locator('li.conversation-item').first()).toBeVisible();
    await expect(page.locator('.topic-description')).not.toBeEmpty();
  } else if (path.startsWith('/c/')) {
    await expect(page.locator('li.message.assistant').first()).toBeVisible();
    await expect(page.locator('li.message.user .corrections').first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();
  } else if (path === '/perf') {
    await expect(page.locator('li.request-row').first()).toBeVisible();
    await expect(page.locator('tr.stat-row').first()).toBeVisible();
    // The browser's own measures appear with the first live refresh.
    await expect(page.locator('tr.browser-row').first()).toBeVisible();
    // Then the live refresh stops, so the page holds still while it is checked,
    // and a request's details open (its spans table).
    await page.locator('.perf-head input[type="checkbox"]').uncheck();
    await page.locator('li.request-row').first().click();
    await expect(page.locator('.details table')).toBeVisible();
  }
}

/** Starts a conversation from the home page, as a learner does. */
async function startConversation(page: Page, language = 'spanish') {
  await page.goto('/');
  await hydrated(page);
  await page.locator('select[name="language"]').selectOption(language);
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/\d+$/);
  await expect(page.locator('li.message.assistant')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();
}

/** Presses Tab (or Shift+Tab) until the focused element matches; fails with the path focus took. */
async function tabTo(page: Page, selector: string, opts: { text?: string; back?: boolean } = {}) {
  const key = opts.back ? 'Shift+Tab' : 'Tab';
  const path: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(key);
    const at = await page.evaluate(([sel, text]) => {
      const el = document.activeElement;
      if (!el || el === document.body) return { hit: false, desc: 'body' };
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 24);
      return {
        hit: el.matches(sel) && (!text || (el.textContent ?? '').includes(text)),
        desc: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"`,
      };
    }, [selector, opts.text ?? '']);
    path.push(at.desc);
    if (at.hit) return;
  }
  throw new Error(`${key} never reached ${selector}${opts.text ? ` ("${opts.text}")` : ''}; focus went: ${path.join(' → ')}`);
}

/** The focused element shows a focus ring (:focus-visible, an outline of at least 2 px). */
async function expectFocusRing(page: Page, what: string) {
  const ring = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return { visible: el.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  expect(ring.visible, `${what} is :focus-visible`).toBe(true);
  expect(ring.style, `${what} has a focus ring`).not.toBe('none');
  expect(ring.width, `${what}'s focus ring is at least 2 px`).toBeGreaterThanOrEqual(2);
}

test('axe-core finds no WCAG 2.1 A/AA problem on home, conversation and /perf (390 and 1280 px, light and dark)', async ({ page, request }) => {
  test.setTimeout(180_000);
  const id = await seed(request);
  let total = 0;
  let checks = 0;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of [PHONE, DESKTOP]) {
      await page.setViewportSize(size);
      for (const [name, path] of [['home', '/'], ['conversation', `/c/${id}`], ['perf', '/perf']]) {
        await openPage(page, path);
        if (path.startsWith('/c/')) {
          // With a translation shown, too.
          const tutor = page.locator('li.message.assistant').first();
          await tutor.getByRole('button', { name: 'Translate' }).click();
          await expect(tutor.locator('.translation')).not.toBeEmpty();
        }
        total += await expectNoAxeViolations(page, `${name} at ${size.width} px, ${scheme}`);
        checks++;
        if (size === PHONE) {
          const suffix = scheme === 'dark' ? '-dark' : '';
          await page.screenshot({ path: `${SCREENS}/phone-${name}${suffix}.png`, fullPage: true });
        }
      }
      // The settings panel, open.
      await openPage(page, '/');
      await page.locator('details.settings > summary').click();
      await expect(page.locator('select[name="native_language"]')).toBeVisible();
      total += await expectNoAxeViolations(page, `settings at ${size.width} px, ${scheme}`);
      checks++;
      if (size === PHONE) {
        await page.screenshot({ path: `${SCREENS}/phone-settings${scheme === 'dark' ? '-dark' : ''}.png` });
      }
    }
  }
  console.log(`axe-core violations, ${checks} page checks: ${total}`);
  expect(total).toBe(0);
});

test('no page scrolls sideways at 360 or 390 px, tables scroll in their own box, tap targets are 44 px', async ({ page, request }) => {
  test.setTimeout(120_000);
  const id = await seed(request);
  for (const size of [NARROW, PHONE]) {
    await page.setViewportSize(size);
    for (const path of ['/', `/c/${id}`, '/perf']) {
      await openPage(page, path);
      await expectNoSidewaysScroll(page, `${path} at ${size.width} px`);
      await expectTapTargets(page, `${path} at ${size.width} px`);
      if (path === '/perf') {
        const tables = await page.evaluate(() => {
          const all = Array.from(document.querySelectorAll('table'));
          return {
            outside: all.filter((t) => !t.closest('.table-scroll')).length,
            scrolling: Array.from(document.querySelectorAll('.table-scroll')).filter((b) => b.scrollWidth > b.clientWidth).length,
          };
        });
        expect(tables.outside, 'every /perf table is inside a scrolling box').toBe(0);
        expect(tables.scrolling, 'the percentile tables scroll inside their box').toBeGreaterThan(0);
      }
    }
    await openPage(page, '/');
    await page.locator('details.settings > summary').click();
    const panel = page.locator('.settings-body');
    await expect(panel).toBeVisible();
    const box = (await panel.boundingBox())!;
    expect(box.x, 'the settings panel starts on screen').toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, 'the settings panel ends on screen').toBeLessThanOrEqual(size.width);
    await expectNoSidewaysScroll(page, `settings open at ${size.width} px`);
    await expectTapTargets(page, `settings open at ${size.width} px`);
  }
});

test('keyboard only: start a conversation, translate, send a message, reach the microphone and hands-free, open settings', async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('.topic-description')).not.toBeEmpty();

  await tabTo(page, 'select[name="language"]');
  await expectFocusRing(page, 'the language list');
  await tabTo(page, 'button.primary[type="submit"]');
  await expectFocusRing(page, 'Start conversation');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/c\/\d+$/);
  const opening = page.locator('li.message.assistant').first();
  await expect(opening).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();

  await tabTo(page, 'li.message.assistant button', { text: 'Translate' });
  await expectFocusRing(page, 'Translate');
  await page.keyboard.press('Enter');
  await expect(opening.locator('.translation')).not.toBeEmpty();

  await tabTo(page, '#message-input');
  await expectFocusRing(page, 'the message box');
  await page.keyboard.type('Hola, me llamo Ana y quiero una mesa.');
  await page.keyboard.press('Enter');
  await expect(page.locator('li.message.user')).toHaveCount(1);
  await expect(page.locator('li.message.user').first()).toContainText('me llamo Ana');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);
  // Focus stays in the message box, ready for the next answer.
  await expect(page.locator('#message-input')).toBeFocused();
  await expect(page.locator('#message-input')).toHaveValue('');

  await expect(page.locator('#mic-button')).toBeEnabled();
  await tabTo(page, '#hands-free', { back: true });
  await expectFocusRing(page, 'the hands-free switch');
  await expect(page.locator('#hands-free')).toHaveAttribute('aria-pressed', 'false');
  await tabTo(page, '#mic-button', { back: true });
  await expectFocusRing(page, 'the microphone');
  await expect(page.locator('#mic-button')).toHaveAttribute('aria-label', /record/i);

  await tabTo(page, 'details.settings > summary', { back: true });
  await expectFocusRing(page, 'Settings');
  await page.keyboard.press('Enter');
  await expect(page.locator('details.settings')).toHaveAttribute('open', '');
  await page.keyboard.press('Tab');
  await expect(page.locator('select[name="native_language"]')).toBeFocused();
  await expectFocusRing(page, 'the learner-language list');
  await page.keyboard.press('Tab');
  await expect(page.locator('select[name="correction_max_level"]')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('select[name="voice_pause_ms"]')).toBeFocused();
  await expectFocusRing(page, 'the hands-free pause list');
  await page.keyboard.press('Tab');
  await expect(page.locator('input[name="perf_debug"]')).toBeFocused();
  await expectFocusRing(page, 'the performance switch');
  await page.keyboard.press('Space');
  await expect(page.locator('input[name="perf_debug"]')).toBeChecked();
  expect(await page.evaluate(() => (window as any).BabblrPerf.isEnabled())).toBe(true);
  await tabTo(page, 'details.settings > summary', { back: true });
  await page.keyboard.press('Enter');
  await expect(page.locator('details.settings')).not.toHaveAttribute('open', '');
});

test('long words and URLs, 2,000 characters and right-to-left text stay inside a 360 px screen', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize(NARROW);
  await startConversation(page);
  const input = page.getByLabel('Your message');

  const url = 'https://example.com/' + 'una-ruta-muy-larga/'.repeat(15) + '?q=' + 'x'.repeat(120);
  const sentence = 'Hola, me llamo Ana y quiero reservar una mesa para dos personas esta noche. ';
  const long = sentence.repeat(Math.ceil(2000 / sentence.length)).slice(0, 2000);
  expect(long.length).toBe(2000);
  const cases: [string, string][] = [
    ['a very long word and a URL', `Mi palabra: ${'Supercalifragilisticoexpialidoso'.repeat(10)} y mi web ${url}`],
    ['a 2,000-character message', long],
    ['right-to-left text', 'مرحبا، اسمي سارة. أريد طاولة لشخصين من فضلك. שלום, קוראים לי דנה ואני רוצה שולחן לשניים. ' + 'مرحبا'.repeat(40)],
  ];
  let sent = 0;
  for (const [what, text] of cases) {
    await input.fill(text);
    await expectNoSidewaysScroll(page, `${what}, being written`);
    await input.press('Enter');
    sent++;
    await expect(page.locator('li.message.user')).toHaveCount(sent);
    await expect(page.locator('li.message.assistant')).toHaveCount(sent + 1);
    await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();
    await expectNoSidewaysScroll(page, `${what}, sent`);
    const mine = page.locator('li.message.user').last();
    await expect(mine.locator('.text')).toHaveText(text.trim());
    const fit = await mine.evaluate((li) => {
      const box = li.getBoundingClientRect();
      const p = li.querySelector('.text')!;
      return { left: box.left, right: box.right, overflow: p.scrollWidth - p.clientWidth };
    });
    expect(fit.left, `${what}: the bubble starts on screen`).toBeGreaterThanOrEqual(0);
    expect(fit.right, `${what}: the bubble ends on screen`).toBeLessThanOrEqual(NARROW.width);
    expect(fit.overflow, `${what}: the text wraps inside its bubble`).toBeLessThanOrEqual(1);
  }
  await page.screenshot({ path: `${SCREENS}/phone-long-input.png`, fullPage: true });
});

test('a streamed reply is announced once and barely moves the page (CLS < 0.1)', async ({ page }) => {
  await page.setViewportSize(PHONE);
  await startConversation(page);
  await page.evaluate(() => {
    const w = window as any;
    w.__shifts = [];
    w.__streaming = { seen: false, live: false };
    const describe = (n: Node | null) => {
      const el = n instanceof Element ? n : n?.parentElement;
      return el ? `${el.tagName.toLowerCase()}${typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : ''}` : '?';
    };
    const record = (entries: any[]) => {
      for (const e of entries) {
        w.__shifts.push({
          value: e.value, start: e.startTime, recentInput: e.hadRecentInput,
          sources: (e.sources ?? []).map((s: any) => describe(s.node)),
        });
      }
    };
    w.__clsObserver = new PerformanceObserver((list) => record(list.getEntries()));
    w.__clsObserver.observe({ type: 'layout-shift', buffered: true });
    w.__record = record;
    // The streaming bubble must not be inside a live region (it would be read out piece by piece).
    new MutationObserver(() => {
      const s = document.querySelector('[data-role="assistant-streaming"]');
      if (s) {
        w.__streaming.seen = true;
        if (s.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="log"], [role="alert"]')) w.__streaming.live = true;
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
    w.__sendAt = performance.now();
  });

  const input = page.getByLabel('Your message');
  await input.fill('Hola, me llamo Ana. Quiero una mesa para dos personas, por favor.');
  await input.press('Enter');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();
  await page.waitForTimeout(1000);

  const r = await page.evaluate(() => {
    const w = window as any;
    w.__record(w.__clsObserver.takeRecords());
    const shifts = (w.__shifts as any[]).filter((s) => s.start >= w.__sendAt).sort((a, b) => a.start - b.start);
    // CLS: the largest session window (gaps under 1 s, at most 5 s long). Here
    // every shift after sending counts, even those right after the key press
    // that CLS proper leaves out (hadRecentInput).
    const cls = (list: any[]) => {
      let max = 0, sum = 0, first = -Infinity, prev = -Infinity;
      for (const s of list) {
        if (s.start - prev < 1000 && s.start - first < 5000) sum += s.value;
        else { sum = s.value; first = s.start; }
        prev = s.start;
        max = Math.max(max, sum);
      }
      return max;
    };
    const largest = shifts.reduce((a, s) => (s.value > (a?.value ?? 0) ? s : a), null as any);
    return {
      all: cls(shifts),
      standard: cls(shifts.filter((s) => !s.recentInput)),
      count: shifts.length,
      largest: largest ? `${largest.value.toFixed(4)} (${largest.sources.join(', ')})` : 'none',
      streaming: w.__streaming,
    };
  });
  console.log(`CLS while streaming: ${r.all.toFixed(4)}`);
  console.log(`  (${r.count} layout shift(s) after sending; without those right after the key press: ${r.standard.toFixed(4)}; largest single shift: ${r.largest}; streaming bubble seen: ${r.streaming.seen})`);
  expect(r.all, `layout shifts while the reply streamed: ${JSON.stringify(r)}`).toBeLessThan(0.1);
  expect(r.streaming.live, 'the streaming bubble is not inside a live region').toBe(false);

  // The finished reply is in a polite live region (announced once, whole).
  const reply = ((await page.locator('li.message.assistant').last().locator('.text').textContent()) ?? '').trim();
  expect(reply.length).toBeGreaterThan(0);
  const announced = await page.evaluate((text) =>
    Array.from(document.querySelectorAll('[aria-live="polite"], [role="status"], [role="log"]'))
      .some((el) => (el.textContent ?? '').includes(text)), reply);
  expect(announced, `"${reply}" is in a polite live region`).toBe(true);
});

test('reduced motion stops the recording pulse; the dark palette follows the system', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'dark' });
  await startConversation(page);
  const look = () => page.evaluate(() => {
    const mic = document.getElementById('mic-button')!;
    mic.classList.add('recording');
    const animation = getComputedStyle(mic).animationName;
    mic.classList.remove('recording');
    const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lum = (c: string) => {
      const [r, g, b] = rgb(c).map((v) => v / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const root = getComputedStyle(document.documentElement);
    return { animation, background: lum(root.backgroundColor), text: lum(root.color) };
  });
  const dark = await look();
  expect(dark.animation).toBe('none');
  expect(dark.background, 'a dark background').toBeLessThan(0.05);
  expect(dark.text, 'light text').toBeGreaterThan(0.6);
  await page.screenshot({ path: `${SCREENS}/conversation-dark.png`, fullPage: true });

  await page.emulateMedia({ reducedMotion: 'no-preference', colorScheme: 'light' });
  const light = await look();
  expect(light.animation).toBe('pulse');
  expect(light.background, 'a light background').toBeGreaterThan(0.8);
});
