import { expect, test } from '@playwright/test';
import { answers, mockRequests, newChat, send, settle } from './chat-page';

test('Regenerate writes the answer again in a new conversation, same prompt and mode, which then takes a new prompt', async ({ page }) => {
  await newChat(page);
  await send(page, 'A poem about the tide');
  await settle(page);
  const parentUrl = page.url();
  const routerCalls = async () => (await mockRequests(page)).filter((r) => r.prompt === 'A poem about the tide' && r.kind === 'router').length;
  const routerCallsBefore = await routerCalls();
  await expect(answers(page).first().getByTestId('mode-badge')).toHaveText('Poem');
  await answers(page).first().hover();
  await answers(page).first().getByRole('button', { name: 'Regenerate' }).click();
  await expect(page).not.toHaveURL(parentUrl);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await settle(page);
  await expect(page.locator('[data-role="user"]')).toHaveText(['A poem about the tide']);
  await expect(answers(page)).toHaveCount(1);
  await expect(answers(page).first().getByTestId('mode-badge')).toHaveText('Poem');
  await expect(answers(page).first()).toContainText('Roses from the mock');
  const branches = page.getByRole('complementary', { name: 'Branches' });
  await expect(branches).toContainText('Forked from');
  await expect(branches.getByRole('link', { name: 'A poem about the tide' })).toHaveAttribute('href', new URL(parentUrl).pathname);
  // the regenerated run only wrote the response: the safety check and mode decision were reused
  expect(await routerCalls()).toBe(routerCallsBefore);
  await send(page, 'And one about the moon');
  await settle(page);
  await expect(answers(page)).toHaveCount(2);
  // the parent is untouched and lists its branch
  await page.goto(parentUrl);
  await expect(answers(page)).toHaveCount(1);
  await expect(page.getByRole('complementary', { name: 'Branches' })).toContainText('decide_mode');
});

test('Edit on a prompt runs the edited flow in a new conversation linked to its parent', async ({ page }) => {
  await newChat(page);
  await send(page, 'How do tides work?');
  await settle(page);
  const parentUrl = page.url();
  await page.locator('[data-role="user"]').first().hover();
  await page.getByRole('button', { name: 'Edit' }).first().click();
  const editor = page.getByRole('textbox', { name: 'Edited prompt' });
  await editor.fill('Write a function that adds two numbers');
  await page.getByRole('button', { name: 'Send as a new branch' }).click();
  await expect(page).not.toHaveURL(parentUrl);
  await settle(page);
  await expect(page.locator('[data-role="user"]')).toHaveText(['Write a function that adds two numbers']);
  await expect(answers(page).first().getByTestId('mode-badge')).toHaveText('Code');
  await expect(page.getByRole('complementary', { name: 'Branches' }).getByRole('link', { name: 'How do tides work?' })).toBeVisible();
  await page.goto(parentUrl);
  await expect(page.locator('[data-role="user"]')).toHaveText(['How do tides work?']);
  await expect(page.getByRole('complementary', { name: 'Branches' }).getByRole('link', { name: 'Write a function that adds two numbers' })).toBeVisible();
});
