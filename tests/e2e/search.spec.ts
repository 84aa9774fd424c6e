import { expect, test, type Page } from '@playwright/test';
import { attachScreenshot, newChat, seriousViolations } from './chat-page';

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Conversations' }).first();

/** A finished chat of this browser's session, made through the API (the browser's cookie comes along). */
async function chat(page: Page, prompt: string) {
  const created = await page.request.post('/api/conversations');
  const { id } = (await created.json()) as { id: string };
  const run = await page.request.post(`/api/conversations/${id}/messages`, { data: { prompt } });
  expect(run.status()).toBe(200);
  // the whole stream: the answer is stored once it ends
  await run.body();
  return id;
}

test.describe('searching the sidebar', () => {
  test.beforeEach(async ({ page }) => {
    await newChat(page);
    await chat(page, 'How do rivers form? [title:Rivers and how they form] [reply:Rain gathers into streams, and streams join into rivers that carve valleys.]');
    await chat(page, 'Where do rivers meet the sea? [title:Estuaries] [reply:An estuary is where a river meets the tide.]');
    await chat(page, 'Why is the sky blue? [title:The blue sky] [reply:Air scatters blue light more than red.]');
    await page.reload();
  });

  test('filters the list while typing, with each result’s match highlighted; the keyboard reaches every result; Escape clears', async ({ page }, testInfo) => {
    const box = sidebar(page).getByRole('searchbox', { name: 'Search conversations' });
    await box.fill('rive');
    const results = sidebar(page).getByRole('list', { name: 'Search results' });
    await expect(results.getByRole('link')).toHaveCount(2);
    await expect(results.getByRole('link', { name: /Rivers and how they form/ })).toBeVisible();
    await expect(results.getByRole('link', { name: /Estuaries/ })).toBeVisible();
    await expect(results.getByRole('link', { name: /The blue sky/ })).toHaveCount(0);
    await expect(sidebar(page).getByRole('status')).toHaveText('2 conversations match');
    for (const mark of await results.locator('mark').allTextContents()) expect(mark.toLowerCase()).toMatch(/^rive/);
    await expect(results.getByRole('link', { name: /Estuaries/ }).locator('mark')).toHaveText(['rivers', 'river']);
    expect(await seriousViolations(page)).toEqual([]);
    await attachScreenshot(page, testInfo, 'search-1280-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'search-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // down from the box through the results, and back up
    await box.press('ArrowDown');
    await expect(results.getByRole('link').first()).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(results.getByRole('link').nth(1)).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expect(box).toBeFocused();

    // more words narrow it; none matching says so
    await box.fill('rivers tide');
    await expect(results.getByRole('link')).toHaveCount(1);
    await box.fill('glaciers');
    await expect(sidebar(page).getByRole('status')).toHaveText('No conversations match “glaciers”.');

    await box.press('Escape');
    await expect(box).toHaveValue('');
    await expect(sidebar(page).getByRole('link', { name: 'The blue sky' })).toBeVisible();
    await expect(results).toHaveCount(0);

    // a result opens its conversation
    await box.fill('blue');
    await results.getByRole('link', { name: /The blue sky/ }).click();
    await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
    await expect(page.locator('[data-role="user"]')).toHaveText(['Why is the sky blue? [title:The blue sky] [reply:Air scatters blue light more than red.]']);
  });

  test('on a phone', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 375, height: 740 });
    const header = page.locator('header');
    await header.locator('summary').click();
    await header.getByRole('searchbox', { name: 'Search conversations' }).fill('river');
    await expect(header.getByRole('list', { name: 'Search results' }).getByRole('link')).toHaveCount(2);
    await attachScreenshot(page, testInfo, 'search-375-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await attachScreenshot(page, testInfo, 'search-375-dark');
  });
});
