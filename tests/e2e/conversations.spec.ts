import { expect, test } from '@playwright/test';
import { attachScreenshot, newChat, promptBox, send, seriousViolations, settle } from './chat-page';

test('switches between conversations in the sidebar, and deletes one', async ({ page }) => {
  await newChat(page);
  await send(page, 'First topic: owls?');
  await settle(page);
  const firstUrl = page.url();
  await page.getByRole('link', { name: 'New chat' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await send(page, 'Second topic: whales?');
  await settle(page);

  const sidebar = page.getByRole('navigation', { name: 'Conversations' }).first();
  // newest first
  await expect(sidebar.getByRole('link').nth(1)).toHaveText('Second topic: whales?');
  await sidebar.getByRole('link', { name: 'First topic: owls?' }).click();
  await expect(page).toHaveURL(firstUrl);
  await expect(page.locator('[data-role="user"]')).toHaveText(['First topic: owls?']);
  await expect(sidebar.getByRole('link', { name: 'First topic: owls?' })).toHaveAttribute('aria-current', 'page');
  await sidebar.getByRole('link', { name: 'Second topic: whales?' }).click();
  await expect(page.locator('[data-role="user"]')).toHaveText(['Second topic: whales?']);

  await sidebar.getByRole('button', { name: 'Delete “Second topic: whales?”' }).click();
  await sidebar.getByRole('button', { name: 'Confirm deleting “Second topic: whales?”' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(sidebar.getByRole('link', { name: 'Second topic: whales?' })).toHaveCount(0);
  await expect(sidebar.getByRole('link', { name: 'First topic: owls?' })).toBeVisible();
});

test('can be used by keyboard alone', async ({ page }) => {
  await newChat(page);
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two?');
  await expect(promptBox(page)).toHaveValue('line one\nline two?');
  await page.keyboard.press('Enter');
  await expect(page.locator('[data-role="user"]')).toHaveCount(1);
  await settle(page);
  await expect(page.locator('[data-role="user"]').last()).toHaveText('line one\nline two?');
  // focus is back in the box, ready for the next prompt
  await expect(promptBox(page)).toBeFocused();
  // and the sidebar's navigation is reachable by keyboard: a few presses of Shift+Tab land inside it
  const sidebar = page.getByRole('navigation', { name: 'Conversations' });
  const focusInSidebar = () => sidebar.evaluate((nav) => nav.contains(document.activeElement) && nav !== document.activeElement);
  // Between them: the answer's Copy and Regenerate, the prompt's Edit, Trace, Watch the machine, the inspector link.
  let presses = 0;
  while (!(await focusInSidebar()) && presses < 12) {
    await page.keyboard.press('Shift+Tab');
    presses++;
  }
  expect(await focusInSidebar()).toBe(true);
  await expect(sidebar.locator(':focus')).toHaveCount(1);
});

test('has no serious accessibility violations, and looks right at 1280 and 375 px in light and dark', async ({ page }, testInfo) => {
  await newChat(page);
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await attachScreenshot(page, testInfo, `new-chat-${width}-light`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const scan = async () => {
    // A refresh of the page (the stored answer taking over) puts its title back a moment after its content.
    await expect(page).toHaveTitle(/Sluice$/);
    return seriousViolations(page);
  };
  expect(await scan()).toEqual([]);
  await send(page, 'Write a poem about rivers');
  await settle(page);
  await send(page, 'a script that prints hello');
  await settle(page);
  await send(page, 'How do tides work?');
  await settle(page);
  expect(await scan()).toEqual([]);
  const url = page.url();

  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await scan()).toEqual([]);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(url);
      await settle(page);
      await attachScreenshot(page, testInfo, `conversation-${width}-${colorScheme}`);
    }
  }
});
