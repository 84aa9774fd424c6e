import { expect, test, type Page } from '@playwright/test';
import { freePort, startApp, type AppServer } from '../helpers/app-server';
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider, type OidcProvider } from '../helpers/oidc-provider';
import { answers, attachScreenshot, newChat, send, settle } from './chat-page';

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
    app = await startApp(
      {
        AUTH_OIDC_ISSUER: provider.issuer,
        AUTH_OIDC_CLIENT_ID: CLIENT_ID,
        AUTH_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        AUTH_SECRET: 'a-test-secret-of-at-least-32-characters!',
        APP_URL: appUrl,
        DEMO_TOKEN_DELAY_MS: '5',
      },
      { port },
    );
  });
  test.afterAll(async () => {
    await app?.stop();
    await provider?.close();
  });

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

  test('a guest signs in and keeps the chat; another browser of the same account sees it; signing out leaves a fresh guest', async ({ page, browser }, testInfo) => {
    await newChat(page, app.url);
    await expect(sidebar(page).getByRole('link', { name: 'Sign in' })).toBeVisible();
    await attachScreenshot(page, testInfo, 'signed-out-1280-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'signed-out-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await send(page, 'How do rivers form?');
    await settle(page);
    const chatPath = new URL(page.url()).pathname;

    await sidebar(page).getByRole('link', { name: 'Sign in' }).click();
    await signInAtProvider(page, 'ada');
    // back on the chat it was pressed on, signed in, the chat still there
    await expect(page).toHaveURL(`${app.url}${chatPath}`);
    const account = sidebar(page).getByRole('group', { name: 'Account' });
    await expect(account).toContainText('Ada');
    await expect(account).toContainText('ada@example.test');
    await expect(account.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(sidebar(page).getByRole('link', { name: 'How do rivers form?' })).toBeVisible();
    await expect(answers(page)).toHaveCount(1);
    await attachScreenshot(page, testInfo, 'signed-in-1280-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'signed-in-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Another browser, the same account: the same chat, to carry on.
    const other = await browser.newContext();
    const second = await other.newPage();
    await newChat(second, app.url);
    await expect(second.locator('aside').getByRole('link', { name: 'How do rivers form?' })).toHaveCount(0);
    await second.locator('aside').getByRole('link', { name: 'Sign in' }).click();
    await signInAtProvider(second, 'ada');
    await second.locator('aside').getByRole('link', { name: 'How do rivers form?' }).click();
    await expect(second).toHaveURL(`${app.url}${chatPath}`);
    await expect(answers(second)).toHaveCount(1);
    await send(second, 'Write a poem about the sea');
    await settle(second);
    await expect(answers(second)).toHaveCount(2);
    await other.close();

    // Signing out: a fresh guest with no chats, back at a new chat.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(`${app.url}/`);
    await expect(sidebar(page).getByRole('link', { name: 'Sign in' })).toBeVisible();
    await expect(sidebar(page)).toContainText('No conversations yet.');
    // Signing in again brings them back, with what the other browser added. The provider remembers this browser
    // (single sign-on), so it asks nothing this time.
    await sidebar(page).getByRole('link', { name: 'Sign in' }).click();
    await expect(sidebar(page).getByRole('group', { name: 'Account' })).toContainText('Ada');
    await sidebar(page).getByRole('link', { name: 'How do rivers form?' }).click();
    await expect(answers(page)).toHaveCount(2);
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
