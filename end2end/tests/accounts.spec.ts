import { test, expect, Page } from '@playwright/test';
import { hydrated, expectNoAxeViolations } from './checks';

// A server with accounts (BABBLR_AUTH=on, open sign-up) on its own port: see
// playwright.config.ts.
const base = `http://127.0.0.1:${Number(process.env.BABBLR_E2E_PORT ?? 8123) + 4}`;

async function signUp(page: Page, name: string, password: string) {
  await page.goto(`${base}/signin`);
  await hydrated(page);
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(`${base}/`);
  await hydrated(page);
  await expect(page.locator('nav a.account')).toHaveText(name);
}

test('a learner signs up, talks, signs out, signs in again and finds the conversation; another cannot open it', async ({ page, browser }) => {
  // Nobody signed in: the home page says how to sign in.
  await page.goto(`${base}/`);
  await hydrated(page);
  await expect(page.getByRole('alert').first()).toContainText('Sign in to continue.');
  await expect(page.locator('nav a.account')).toHaveText('Sign in');
  await page.goto(`${base}/signin`);
  await hydrated(page);
  await expectNoAxeViolations(page, 'sign-in');

  // A weak password is refused with the reason.
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Username').fill('ana');
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toContainText('common');

  await signUp(page, 'ana', 'ana likes tortilla');
  await page.locator('select[name="language"]').selectOption('french');
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/\d+$/);
  const url = page.url();
  await expect(page.locator('li.message.assistant').first()).toBeVisible();
  const input = page.getByLabel('Your message');
  await input.fill('je va au restaurant');
  await input.press('Enter');
  await expect(page.locator('li.message.assistant')).toHaveCount(2);

  // Account page (axe), then sign out.
  await page.goto(`${base}/account`);
  await hydrated(page);
  await expect(page.getByText('Signed in as ana')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download all my data (JSON)' })).toBeVisible();
  await expectNoAxeViolations(page, 'account');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${base}/signin`);

  // Signed out, the conversation is not readable; its Sign in link comes back here.
  await page.goto(url);
  await hydrated(page);
  const alert = page.getByRole('alert').first();
  await expect(alert).toContainText('Sign in to continue.');
  await alert.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/signin\?next=/);
  await hydrated(page);
  await page.getByLabel('Username').fill('ana');
  await page.getByLabel('Password').fill('ana likes tortilla');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(url);
  await expect(page.locator('li.message')).toHaveCount(3);

  // The conversation is in the list too.
  await page.goto(`${base}/`);
  await hydrated(page);
  const item = page.locator('li.conversation-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('French');
  await item.locator('a.open').click();
  await expect(page).toHaveURL(url);
  await expect(page.locator('li.message')).toHaveCount(3);

  // A second learner, in a browser of their own, cannot open ana's URL.
  const other = await browser.newContext();
  const bo = await other.newPage();
  await signUp(bo, 'bo', 'bo likes paella a lot');
  await expect(bo.locator('li.conversation-item')).toHaveCount(0);
  await bo.goto(url);
  await hydrated(bo);
  await expect(bo.getByRole('alert').first()).toContainText('does not exist');
  await expect(bo.locator('li.message')).toHaveCount(0);
  await other.close();
});
