import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { explainSkippedPostgres } from '../helpers/postgres';
import { explainSkippedRedis } from '../helpers/redis';
import { answers, COUNTING_ANSWER, newChat, send, settle } from './chat-page';
import { twoInstancesOnPostgresAndRedis } from './two-instances';

explainSkippedPostgres();
explainSkippedRedis();

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Conversations' }).first();

/**
 * Titles, rename, search, share and export/import with two instances on PostgreSQL and Redis: one person whose
 * requests a load balancer sends to either (the session cookie is the host's, whatever the port).
 */
test.describe('a chat people keep, with two instances sharing PostgreSQL and Redis, in the browser', () => {
  const instances = twoInstancesOnPostgresAndRedis();

  test('titled live on one, renamed and found on the other; shared, stopped, exported and imported across both', async ({ page, browser }, testInfo) => {
    const { a, b } = instances;
    await newChat(page, a.url);
    await send(page, `How do glaciers move? [title:Moving glaciers] [reply:${COUNTING_ANSWER}] [slow:60]`);
    await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
    await expect(sidebar(page).getByRole('link', { name: 'Moving glaciers' })).toBeVisible();
    await settle(page);
    const path = new URL(page.url()).pathname;

    // on B: rename it, then find it by a word of its answer
    await page.goto(`${b.url}${path}`);
    await sidebar(page).getByRole('link', { name: 'Moving glaciers' }).dblclick();
    await page.keyboard.type('Ice on the move');
    await page.keyboard.press('Enter');
    await expect(sidebar(page).getByRole('link', { name: 'Ice on the move' })).toBeVisible();
    await sidebar(page).getByRole('searchbox', { name: 'Search conversations' }).fill('thirtee');
    const results = sidebar(page).getByRole('list', { name: 'Search results' });
    await expect(results.getByRole('link', { name: /Ice on the move/ })).toBeVisible();
    await expect(results.locator('mark')).toHaveText(['thirteen']);

    // shared on A, read through B by someone else, stopped on B, dead on A
    await page.goto(`${a.url}${path}`);
    const tools = page.getByRole('navigation', { name: 'Conversation tools' });
    await tools.getByRole('button', { name: 'Share' }).click();
    const link = tools.getByRole('textbox', { name: 'Anyone with the link can read this chat:' });
    await expect(link).toHaveValue(new RegExp(`^${a.url}/s/`));
    const token = new URL(await link.inputValue()).pathname;
    const strangerContext = await browser.newContext();
    const stranger = await strangerContext.newPage();
    await stranger.goto(`${b.url}${token}`);
    await expect(stranger.getByRole('heading', { name: 'Ice on the move', level: 1 })).toBeVisible();
    await page.goto(`${b.url}${path}`);
    await tools.getByRole('button', { name: 'Stop sharing' }).click();
    await expect(tools.getByRole('button', { name: 'Share' })).toBeVisible();
    expect((await stranger.goto(`${a.url}${token}`))?.status()).toBe(404);
    await strangerContext.close();

    // exported from B, imported on A
    await tools.getByText('Export').click();
    const download = page.waitForEvent('download');
    await tools.getByRole('link', { name: 'JSON, to import (.json)' }).click();
    const file = testInfo.outputPath('Ice on the move.json');
    await (await download).saveAs(file);
    expect(JSON.parse(await readFile(file, 'utf8')).conversation.title).toBe('Ice on the move');
    await page.goto(`${a.url}/`);
    await sidebar(page).getByRole('button', { name: 'Import' }).click();
    await page.locator('aside input[type="file"]').setInputFiles(file);
    await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
    expect(new URL(page.url()).pathname).not.toBe(path);
    await expect(answers(page)).toHaveCount(1);
    await expect(sidebar(page).getByRole('link', { name: 'Ice on the move' })).toHaveCount(2);
  });
});
