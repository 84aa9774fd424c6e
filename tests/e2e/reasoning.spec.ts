import { expect, test, type Page } from '@playwright/test';
import { answers, attachScreenshot, expectGrowing, newChat, send, seriousViolations, settle } from './chat-page';

const THOUGHT =
  'The user asks why the sea is salty. Rivers carry dissolved minerals from rocks to the sea. Water evaporates, the salt stays. ' +
  'Over millions of years it builds up. I should mention sodium and chloride, and <b>keep it short</b>.';
const ANSWER = 'Rivers wash **minerals** from rocks into the sea; the water evaporates and the salt stays behind.';

const reasoningBlock = (page: Page) => page.getByTestId('reasoning').last();
const summary = (page: Page) => reasoningBlock(page).locator('summary');

test('shows the reasoning open while the model thinks, folds it to "Thought for N s" once the answer starts', async ({ page }, testInfo) => {
  await newChat(page);
  await send(page, `Why is the sea salty? [think:tags][slow:60][thought:${THOUGHT}][reply:${ANSWER}]`);

  // Thinking: open, streaming, the answer not begun.
  await expect(reasoningBlock(page)).toHaveAttribute('open', '');
  await expect(summary(page)).toHaveText('Thinking');
  await expectGrowing(reasoningBlock(page).getByTestId('reasoning-text'), 20);
  await expect(page.getByTestId('live-answer')).not.toContainText('stays behind');

  // The answer starts: the block folds, and says how long the model thought.
  await expect(summary(page)).toHaveText(/^Thought for \d+ s$/);
  await expect(reasoningBlock(page)).not.toHaveAttribute('open');
  await settle(page);
  await expect(answers(page).last()).toContainText('the salt stays behind');
  await expect(answers(page).last().getByText('Rivers carry dissolved minerals')).toBeHidden();
  await attachScreenshot(page, testInfo, 'reasoning-closed-1280-light');

  // Open again to read: the reasoning is plain text, its markup shown, not rendered.
  await summary(page).click();
  await expect(reasoningBlock(page)).toHaveAttribute('open', '');
  await expect(reasoningBlock(page).getByTestId('reasoning-text')).toHaveText(THOUGHT);
  await expect(reasoningBlock(page).locator('b')).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, 'reasoning-open-1280-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'reasoning-open-1280-dark');
  await summary(page).click();
  await attachScreenshot(page, testInfo, 'reasoning-closed-1280-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Stored: the same block after a reload, folded, with the time the server measured.
  const label = await summary(page).textContent();
  await page.reload();
  await expect(summary(page)).toHaveText(label!);
  await expect(reasoningBlock(page)).not.toHaveAttribute('open');
  await summary(page).click();
  await expect(reasoningBlock(page).getByTestId('reasoning-text')).toHaveText(THOUGHT);
});

test('on a phone the reasoning block fits the screen, open and closed', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await newChat(page);
  await send(page, `Why is the sea salty? [think:reasoning_content][thought:${THOUGHT}][reply:${ANSWER}]`);
  await settle(page);
  await expect(summary(page)).toHaveText(/^Thought for \d+ s$/);
  await attachScreenshot(page, testInfo, 'reasoning-closed-375-light');
  await summary(page).click();
  const box = await reasoningBlock(page).boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  await attachScreenshot(page, testInfo, 'reasoning-open-375-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'reasoning-open-375-dark');
  await summary(page).click();
  await attachScreenshot(page, testInfo, 'reasoning-closed-375-dark');
});

test('Stop while the model thinks keeps the reasoning so far; a reload mid-thought picks the reasoning up again', async ({ page }) => {
  const words = Array.from({ length: 60 }, (_, i) => `idea${i + 1}`).join(' ');
  await newChat(page);
  await send(page, `Why is the sky blue? [think:reasoning][slow:150][thought:${words}][reply:Scattering.]`);
  await expect(reasoningBlock(page).getByTestId('reasoning-text')).toContainText('idea3');

  // Picked up after a reload: what was thought so far comes back, and the thinking goes on.
  await page.reload();
  await expect(reasoningBlock(page).getByTestId('reasoning-text')).toContainText('idea1 idea2 idea3');
  await expectGrowing(reasoningBlock(page).getByTestId('reasoning-text'), 10);

  await page.getByRole('button', { name: 'Stop' }).click();
  await settle(page);
  const kept = await reasoningBlock(page).getByTestId('reasoning-text').textContent();
  expect(kept).toMatch(/^idea1 idea2 idea3/);
  expect(kept).not.toContain('idea60');
  await expect(answers(page).last()).toHaveAttribute('data-status', 'interrupted');
  await page.reload();
  await summary(page).click();
  await expect(reasoningBlock(page).getByTestId('reasoning-text')).toHaveText(kept!);
});
