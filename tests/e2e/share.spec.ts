import { expect, test } from '@playwright/test';
import { answers, attachScreenshot, newChat, promptBox, send, seriousViolations, settle } from './chat-page';

test('shares a chat by link: a stranger reads it, continues it as their own; Stop sharing kills the link', async ({ page, browser, baseURL }, testInfo) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await newChat(page);
  await send(page, 'Write a script that greets the tide [title:Greeting the tide] [reply:Here it is:\n\n```js\nconsole.log("hello, tide");\n```]');
  await settle(page);
  const tools = page.getByRole('navigation', { name: 'Conversation tools' });
  await tools.getByRole('button', { name: 'Share' }).click();
  const link = tools.getByRole('textbox', { name: 'Anyone with the link can read this chat:' });
  await expect(link).toHaveValue(new RegExp(`^${baseURL}/s/[A-Za-z0-9_-]{32}$`));
  await expect(tools.getByRole('status')).toHaveText('Link copied');
  const url = await link.inputValue();
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, 'sharing-1280-light');
  await page.setViewportSize({ width: 375, height: 740 });
  await attachScreenshot(page, testInfo, 'sharing-375-light');
  await page.setViewportSize({ width: 1280, height: 720 });
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  // shared stays shared across a reload, with the same link
  await page.reload();
  await expect(tools.getByRole('textbox', { name: 'Anyone with the link can read this chat:' })).toHaveValue(url);

  // Someone else, with nothing of their own yet.
  const strangerContext = await browser.newContext();
  const stranger = await strangerContext.newPage();
  await stranger.goto(url);
  await expect(stranger.getByRole('heading', { name: 'Greeting the tide', level: 1 })).toBeVisible();
  await expect(stranger.locator('[data-role="user"]')).toHaveCount(1);
  await expect(answers(stranger)).toHaveCount(1);
  // code highlighted as on the chat page: its tokens in more than one colour
  const tokenColours = () =>
    stranger.locator('[data-streamdown="code-block"] pre span[style*="--sdm-c"]').evaluateAll((spans) => new Set(spans.map((span) => getComputedStyle(span).color)).size);
  await expect.poll(tokenColours).toBeGreaterThan(1);
  await expect(stranger.locator('textarea')).toHaveCount(0);
  await expect(stranger.getByRole('link', { name: 'Trace' })).toHaveCount(0);
  await expect(stranger.locator('meta[name="robots"]')).toHaveAttribute('content', 'noindex, nofollow');
  expect(await seriousViolations(stranger)).toEqual([]);
  await attachScreenshot(stranger, testInfo, 'shared-1280-light', { fullPage: true });
  await stranger.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(stranger, testInfo, 'shared-1280-dark', { fullPage: true });
  await stranger.setViewportSize({ width: 375, height: 740 });
  await attachScreenshot(stranger, testInfo, 'shared-375-dark', { fullPage: true });
  await stranger.emulateMedia({ colorScheme: 'light' });
  await attachScreenshot(stranger, testInfo, 'shared-375-light', { fullPage: true });
  await stranger.setViewportSize({ width: 1280, height: 720 });

  await stranger.getByRole('button', { name: 'Continue this chat' }).click();
  await expect(stranger).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(answers(stranger)).toHaveCount(1);
  await expect(stranger.locator('aside').getByRole('link', { name: 'Greeting the tide' })).toBeVisible();
  await expect(stranger.getByText(/Forked from/)).toHaveCount(0);
  await expect(promptBox(stranger)).toBeEnabled();
  await send(stranger, 'And one for the moon? [reply:Of course.]');
  await settle(stranger);
  await expect(answers(stranger)).toHaveCount(2);
  // the original did not change
  await page.reload();
  await expect(answers(page)).toHaveCount(1);

  await page.getByRole('navigation', { name: 'Conversation tools' }).getByRole('button', { name: 'Stop sharing' }).click();
  await expect(tools.getByRole('status')).toHaveText('No longer shared: the link is dead');
  await expect(tools.getByRole('button', { name: 'Share' })).toBeVisible();
  const dead = await stranger.goto(url);
  expect(dead?.status()).toBe(404);
  await strangerContext.close();
});
