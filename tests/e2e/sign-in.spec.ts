import { expect, test, type Browser, type Page } from '@playwright/test';
import { freePort, startApp, type AppServer } from '../helpers/app-server';
import { signInEnv, startOidcProvider, type OidcProvider } from '../helpers/oidc-provider';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { answers, attachScreenshot, newChat, send, settle } from './chat-page';

explainSkippedPostgres();
explainSkippedRedis();

const sidebar = (page: Page) => page.locator('aside');

/** Through the provider's own pages: its login form (any login), then its consent. */
async function signInAtProvider(page: Page, login: string) {
  // The provider's page asks for a web font it cannot reach here.
  await page.route('https://fonts.googleapis.com/**', (route) => route.abort());
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/**
 * A guest's chat carried over at sign-in, then the same account in a second browser, which goes through `second`
 * (another instance, or the same). The provider sends every browser back to APP_URL, which is `first`.
 */
async function carryOverJourney(page: Page, browser: Browser, first: string, second: string, shoot?: (name: string) => Promise<void>) {
  await newChat(page, first);
  await expect(sidebar(page).getByRole('link', { name: 'Sign in' })).toBeVisible();
  await shoot?.('signed-out-1280-light');
  if (shoot) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot('signed-out-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }

  await send(page, 'How do rivers form?');
  await settle(page);
  const chatPath = new URL(page.url()).pathname;

  await sidebar(page).getByRole('link', { name: 'Sign in' }).click();
  await signInAtProvider(page, 'ada');
  // back on the chat it was pressed on, signed in, the chat still there
  await expect(page).toHaveURL(`${first}${chatPath}`);
  const account = sidebar(page).getByRole('group', { name: 'Account' });
  await expect(account).toContainText('Ada');
  await expect(account).toContainText('ada@example.test');
  await expect(account.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(sidebar(page).getByRole('link', { name: 'How do rivers form?' })).toBeVisible();
  await expect(answers(page)).toHaveCount(1);
  if (shoot) {
    await shoot('signed-in-1280-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot('signed-in-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }

  // Another browser, the same account: the same chat, to carry on where the second instance answers.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await newChat(otherPage, second);
  await expect(sidebar(otherPage).getByRole('link', { name: 'How do rivers form?' })).toHaveCount(0);
  await sidebar(otherPage).getByRole('link', { name: 'Sign in' }).click();
  await signInAtProvider(otherPage, 'ada');
  await expect(sidebar(otherPage).getByRole('group', { name: 'Account' })).toContainText('Ada');
  await otherPage.goto(`${second}${chatPath}`);
  await expect(answers(otherPage)).toHaveCount(1);
  await send(otherPage, 'Write a poem about the sea');
  await settle(otherPage);
  await expect(answers(otherPage)).toHaveCount(2);
  await other.close();

  // Signing out: a fresh guest with no chats, back at a new chat.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${first}/`);
  await expect(sidebar(page).getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(sidebar(page)).toContainText('No conversations yet.');
  // Signing in again brings them back, with what the other browser added. The provider remembers this browser
  // (single sign-on), so it asks nothing this time.
  await sidebar(page).getByRole('link', { name: 'Sign in' }).click();
  await expect(sidebar(page).getByRole('group', { name: 'Account' })).toContainText('Ada');
  await sidebar(page).getByRole('link', { name: 'How do rivers form?' }).click();
  await expect(answers(page)).toHaveCount(2);
}

/**
 * Signing in through a real OpenID Connect provider (`oidc-provider`, started here with its development login
 * form) to an app started here with sign-in configured; the suite's own app has none.
 */
test.describe('signing in, in the browser', () => {
  test.describe.configure({ timeout: 90_000 });
  let app: AppServer;
  let provider: OidcProvider;

  test.beforeAll(async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider(`${appUrl}/api/auth/callback/oidc`);
    app = await startApp({ ...signInEnv(provider.issuer, appUrl), DEMO_TOKEN_DELAY_MS: '5' }, { port });
  });
  test.afterAll(async () => {
    await app?.stop();
    await provider?.close();
  });

  test('a guest signs in and keeps the chat; another browser of the same account sees it; signing out leaves a fresh guest', async ({ page, browser }, testInfo) => {
    await carryOverJourney(page, browser, app.url, app.url, (name) => attachScreenshot(page, testInfo, name));
  });

  test('the sidebar on a phone, signed out and signed in', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await newChat(page, app.url);
    const menu = page.locator('header summary');
    await menu.click();
    const panel = page.locator('header');
    await expect(panel.getByRole('link', { name: 'Sign in' })).toBeVisible();
    await attachScreenshot(page, testInfo, 'signed-out-375-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'signed-out-375-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await panel.getByRole('link', { name: 'Sign in' }).click();
    await signInAtProvider(page, 'barbara.liskov.with.a.long.login');
    await page.locator('header summary').click();
    await expect(page.locator('header').getByRole('group', { name: 'Account' })).toContainText('barbara.liskov.with.a.long.login@example.test');
    await attachScreenshot(page, testInfo, 'signed-in-375-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'signed-in-375-dark');
  });

  test('a forged answer at the callback signs nobody in, and says so; signing in properly still works', async ({ page }) => {
    await newChat(page, app.url);
    // A sign-in under way (the browser holds its pending state) when a forged answer arrives, as a page on another
    // site could send the browser there: a code, with a state this browser never asked for.
    await page.locator('aside').getByRole('link', { name: 'Sign in' }).click();
    await expect(page.getByPlaceholder('Enter any login')).toBeVisible();
    const forged = new URL('/api/auth/callback/oidc', app.url);
    forged.search = new URLSearchParams({ code: 'stolen-code', state: 'forged', iss: provider.issuer }).toString();
    const response = await page.goto(forged.href);
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('heading', { name: 'You are not signed in' })).toBeVisible();
    await expect(page.getByText('Sign in again.')).toBeVisible();
    await page.getByRole('link', { name: 'Back to Sluice' }).click();
    await expect(page.locator('aside').getByRole('link', { name: 'Sign in' })).toBeVisible();

    await page.locator('aside').getByRole('link', { name: 'Sign in' }).click();
    await signInAtProvider(page, 'mallory');
    await expect(page.locator('aside').getByRole('group', { name: 'Account' })).toContainText('Mallory');
  });

  test('cancelling at the provider comes back to a page that says so, still a guest with the chat', async ({ page }) => {
    await newChat(page, app.url);
    await send(page, 'How do rivers form?');
    await settle(page);
    await page.route('https://fonts.googleapis.com/**', (route) => route.abort());
    await page.locator('aside').getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await expect(page.getByRole('heading', { name: 'You are not signed in' })).toBeVisible();
    await expect(page.getByText('The sign-in provider refused the sign-in (access_denied). Sign in again.')).toBeVisible();
    await page.getByRole('link', { name: 'Back to Sluice' }).click();
    await expect(page.locator('aside').getByRole('link', { name: 'How do rivers form?' })).toBeVisible();
    await expect(page.locator('aside').getByRole('link', { name: 'Sign in' })).toBeVisible();
  });
});

test.describe('signing in, in the browser, with two instances sharing PostgreSQL and Redis', () => {
  test.skip(
    !POSTGRES_URL || !REDIS_URL,
    'Needs PostgreSQL and Redis: set DATABASE_URL=postgres://user@host:5432/db and REDIS_URL=redis://host:6379 (CI does).',
  );
  test.describe.configure({ timeout: 90_000 });
  let a: AppServer;
  let b: AppServer;
  let provider: OidcProvider;
  let drop = async () => {};

  test.beforeAll(async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider(`${appUrl}/api/auth/callback/oidc`);
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    const env = { ...signInEnv(provider.issuer, appUrl), DEMO_TOKEN_DELAY_MS: '5', DATABASE_URL: scratch.url, REDIS_URL: REDIS_URL! };
    [a, b] = await Promise.all([startApp(env, { port }), startApp(env)]);
  });
  test.afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await provider?.close();
    await drop();
  });

  test('a guest signs in on one instance and keeps the chat; the same account carries on through the other; signing out leaves a fresh guest', async ({ page, browser }) => {
    await carryOverJourney(page, browser, a.url, b.url);
  });
});
