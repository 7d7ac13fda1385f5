import { expect, Page } from '@playwright/test';

// Page helpers shared by the specs: hydration, axe-core, sideways scrolling,
// tap targets.

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]');
}

/**
 * From the home page, starts a Spanish A1 restaurant conversation with
 * BabblrPerf on, and waits for the tutor's opening.
 */
export async function startSpanishRestaurant(page: Page) {
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => (window as any).BabblrPerf.enable());
  await page.locator('select[name="language"]').selectOption('spanish');
  await page.locator('select[name="difficulty_level"]').selectOption('A1');
  await page.locator('select[name="topic_id"]').selectOption('restaurant');
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/\d+$/);
  await expect(page.locator('li.message.assistant')).toHaveCount(1);
}

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page; no violation may remain. */
export async function expectNoAxeViolations(page: Page, label: string): Promise<number> {
  if (!(await page.evaluate(() => typeof (window as any).axe !== 'undefined'))) {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  }
  const violations: { id: string; impact: string; help: string; nodes: { target: string; summary: string }[] }[] =
    await page.evaluate(async (tags) => {
      const result = await (window as any).axe.run(document, { runOnly: tags, resultTypes: ['violations'] });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n: any) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
      }));
    }, WCAG);
  const lines = violations.flatMap((v) =>
    v.nodes.map((n) => `  ${v.id} [${v.impact}] ${n.target}: ${(n.summary || v.help).replace(/\s+/g, ' ')}`));
  console.log(`axe ${label}: ${lines.length} violation(s)`);
  expect(lines, `axe-core found problems on ${label}:\n${lines.join('\n')}`).toEqual([]);
  return lines.length;
}

/** The page is no wider than the screen; names what sticks out if it is. */
export async function expectNoSidewaysScroll(page: Page, label: string) {
  const r = await page.evaluate(() => {
    const doc = document.documentElement;
    const vw = doc.clientWidth;
    const describe = (el: Element) =>
      el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
      (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
    const clipped = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      }
      return false;
    };
    const offenders: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      if (el.closest('details:not([open])') && !el.matches('details, summary, summary *')) continue; // not shown
      const box = el.getBoundingClientRect();
      if (box.width > 0 && (box.right > vw + 1 || box.left < -1) && !clipped(el)) {
        offenders.push(`${describe(el)} [${Math.round(box.left)}..${Math.round(box.right)}]`);
      }
    }
    return { vw, scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth), offenders: offenders.slice(0, 12) };
  });
  expect(r.scrollWidth, `${label}: the page is ${r.scrollWidth} px wide on a ${r.vw} px screen; ` +
    `sticking out: ${r.offenders.join(', ') || '(nothing found)'}`).toBeLessThanOrEqual(r.vw);
}

/** Every control one can tap is at least 44x44 px (links inside a sentence excepted). */
export async function expectTapTargets(page: Page, label: string) {
  const small = await page.evaluate(() => {
    const out: string[] = [];
    const controls = document.querySelectorAll(
      'button, a[href], summary, select, textarea, input[type="checkbox"], input[type="radio"], [role="button"], [tabindex="0"]');
    for (const el of Array.from(controls)) {
      if (el.matches('[role="region"]')) continue; // a scrolling box, not a tap target
      if (el.closest('details:not([open])') && !el.matches('summary')) continue; // not shown
      if (el.matches('a') && el.closest('p')) continue; // a link in running text
      const target = el.matches('input[type="checkbox"], input[type="radio"]') ? (el.closest('label') ?? el) : el;
      const box = target.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue; // not shown
      if (getComputedStyle(target).visibility === 'hidden') continue;
      if (box.width < 43.5 || box.height < 43.5) {
        const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
        out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().split(/\s+/).join('.') : ''} "${name}" ${box.width.toFixed(0)}x${box.height.toFixed(0)}`);
      }
    }
    return out;
  });
  expect(small, `${label}: tap targets under 44x44 px:\n  ${small.join('\n  ')}`).toEqual([]);
}
