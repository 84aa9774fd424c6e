import { readFile, writeFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { answers, attachScreenshot, newChat, send, seriousViolations, settle } from './chat-page';

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Conversations' }).first();

test('exports a chat as Markdown and JSON, and imports the JSON back as a new chat that opens', async ({ page }, testInfo) => {
  await newChat(page);
  await send(page, 'A script that prints hello [title:Hello scripts]');
  await settle(page);
  await send(page, 'And a poem about it');
  await settle(page);

  const tools = page.getByRole('navigation', { name: 'Conversation tools' });
  await tools.getByText('Export').click();
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, 'export-menu-1280-light');
  const markdownDownload = page.waitForEvent('download');
  await tools.getByRole('link', { name: 'Markdown (.md)' }).click();
  const markdown = await markdownDownload;
  expect(markdown.suggestedFilename()).toBe('Hello scripts.md');
  const text = await readFile((await markdown.path())!, 'utf8');
  expect(text).toMatch(/^# Hello scripts\n/);
  expect(text).toContain('## Assistant (Code)\n\n```js\nconsole.log("mock code");\n```');
  expect(text).toContain('## Assistant (Poem)');

  const jsonDownload = page.waitForEvent('download');
  await tools.getByRole('link', { name: 'JSON, to import (.json)' }).click();
  const json = await jsonDownload;
  expect(json.suggestedFilename()).toBe('Hello scripts.json');
  const file = testInfo.outputPath('Hello scripts.json');
  await json.saveAs(file);
  const original = new URL(page.url()).pathname;

  // Import it: a new chat with the same messages opens
  await sidebar(page).getByRole('button', { name: 'Import' }).click();
  await page.locator('aside input[type="file"]').setInputFiles(file);
  await expect(page).not.toHaveURL(new RegExp(`${original}$`));
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(answers(page)).toHaveCount(2);
  await expect(page.locator('[data-role="user"]')).toHaveText(['A script that prints hello [title:Hello scripts]', 'And a poem about it']);
  await expect(sidebar(page).getByRole('link', { name: 'Hello scripts' })).toHaveCount(2);
  // its trace came with it
  await page.getByRole('link', { name: 'Trace' }).click();
  await expect(page.getByText('decide_mode').first()).toBeVisible();

  // a file that is not ours says so, and nothing opens
  const wrong = testInfo.outputPath('notes.json');
  await writeFile(wrong, JSON.stringify({ format: 'chatgpt', conversations: [] }));
  await page.goto('/');
  await sidebar(page).getByRole('button', { name: 'Import' }).click();
  await page.locator('aside input[type="file"]').first().setInputFiles(wrong);
  await expect(sidebar(page).getByRole('alert')).toHaveText('notes.json: format must be "sluice.conversation": this is not a Sluice conversation');
  await expect(page).toHaveURL(/\/$/);
});
