import { expect, type Page } from '@playwright/test';

/** What the chat page's tests do on it, as a person would. */

export const promptBox = (page: Page) => page.getByRole('textbox', { name: 'Message' });
export const answers = (page: Page) => page.locator('article[data-role="assistant"]');

export async function send(page: Page, prompt: string) {
  const before = await page.locator('[data-role="user"]').count();
  await promptBox(page).fill(prompt);
  await promptBox(page).press('Enter');
  // the turn shows at once
  await expect(page.locator('[data-role="user"]')).toHaveCount(before + 1);
}

/** Waits until the run is over and the server-rendered history has taken the answer over. */
export async function settle(page: Page) {
  await expect(page.getByTestId('live-answer')).toHaveCount(0, { timeout: 20_000 });
  await expect(promptBox(page)).toBeEnabled();
}

/**
 * Opens `/` (of `origin`, for an app other than the configured one) and waits until the page is interactive
 * (typing before hydration would race React).
 */
export async function newChat(page: Page, origin = '') {
  await page.goto(`${origin}/`);
  await expect(page.locator('form[data-ready]')).toHaveCount(1);
  await expect(promptBox(page)).toBeFocused();
}
