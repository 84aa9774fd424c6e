import { expect, test, type Page } from '@playwright/test';
import { answers, attachScreenshot, COUNTING_ANSWER, newChat, send, seriousViolations, settle } from './chat-page';

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Conversations' }).first();

test('a new chat is titled by the model while its answer is still being written', async ({ page }) => {
  await newChat(page);
  // 40 tokens 200 ms apart: the title (stored once the answer's first piece is out) has 8 s to reach the page.
  await send(page, `How do rivers form? [title:Rivers and how they form] [reply:${COUNTING_ANSWER}] [slow:200]`);
  // the answer is still streaming: the title came with its event, not with the stored turn
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(page).toHaveTitle('Rivers and how they form · Sluice');
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  // A chat begun on `/` is listed once the sidebar is rendered anew, at the latest when its first answer is stored.
  await expect(sidebar(page).getByRole('link', { name: 'Rivers and how they form' })).toBeVisible();
  await settle(page);
  await page.reload();
  await expect(sidebar(page).getByRole('link', { name: 'Rivers and how they form' })).toHaveAttribute('aria-current', 'page');
  await expect(page).toHaveTitle('Rivers and how they form · Sluice');
});

test('renames in place: double-click or Rename, Enter saves, Escape cancels', async ({ page }, testInfo) => {
  await newChat(page);
  await send(page, 'Why is the sea salty? [title:Salt in the sea]');
  await settle(page);
  const link = sidebar(page).getByRole('link', { name: 'Salt in the sea' });
  await expect(link).toBeVisible();

  // double-click: the title, selected, to type over
  await link.dblclick();
  const box = sidebar(page).getByRole('textbox', { name: 'Rename “Salt in the sea”' });
  await expect(box).toBeFocused();
  await page.keyboard.type('Salinity notes');
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, 'rename-1280-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'rename-1280-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.keyboard.press('Escape');
  await expect(box).toHaveCount(0);
  await expect(link).toBeVisible();

  await sidebar(page).getByRole('button', { name: 'Rename “Salt in the sea”' }).click();
  await expect(box).toBeFocused();
  await page.keyboard.type('Salinity notes');
  await page.keyboard.press('Enter');
  const renamed = sidebar(page).getByRole('link', { name: 'Salinity notes' });
  await expect(renamed).toBeVisible();
  await expect(page).toHaveTitle('Salinity notes · Sluice');
  await page.reload();
  await expect(renamed).toHaveAttribute('aria-current', 'page');
  await expect(answers(page)).toHaveCount(1);

  // nothing typed is nothing saved
  await renamed.dblclick();
  await page.keyboard.press('Delete');
  await page.keyboard.press('Enter');
  await expect(renamed).toBeVisible();
});

test('renames in place on a phone', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await newChat(page);
  await send(page, 'How do tides work? [title:Tides]');
  await settle(page);
  const header = page.locator('header');
  await header.locator('summary').click();
  await header.getByRole('button', { name: 'Rename “Tides”' }).click();
  const box = header.getByRole('textbox', { name: 'Rename “Tides”' });
  await expect(box).toBeFocused();
  await page.keyboard.type('Tides and the moon');
  await attachScreenshot(page, testInfo, 'rename-375-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'rename-375-dark');
  await page.keyboard.press('Enter');
  await expect(header.getByRole('link', { name: 'Tides and the moon' })).toBeVisible();
});
