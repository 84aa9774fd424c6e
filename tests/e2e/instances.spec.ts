import { expect, test } from '@playwright/test';
import { explainSkippedPostgres } from '../helpers/postgres';
import { explainSkippedRedis } from '../helpers/redis';
import { answers, attachScreenshot, COUNTING_ANSWER, expectGrowing, newChat, send, settle } from './chat-page';
import { twoInstancesOnPostgresAndRedis } from './two-instances';

explainSkippedPostgres();
explainSkippedRedis();

/**
 * One person behind a load balancer that sends each request to either of two instances: the browser visits A and B
 * by their own addresses (a session cookie is the host's, whatever the port, so it is the same person on both).
 */
test.describe('two instances sharing PostgreSQL and Redis, in the browser', () => {
  const instances = twoInstancesOnPostgresAndRedis();

  test('switching to another conversation and back, on the other instance, finds the answer still being written, then stored', async ({ page }, testInfo) => {
    await newChat(page, instances.a.url);
    await send(page, 'An older question? [reply:Done already.]');
    await settle(page);
    const olderPath = new URL(page.url()).pathname;

    await newChat(page, instances.a.url);
    const reply = COUNTING_ANSWER;
    await send(page, `Count slowly? [slow:250][reply:${reply}]`);
    await expect(page.getByTestId('live-answer')).toContainText('one two');
    await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
    const runningPath = new URL(page.url()).pathname;

    // The next two requests happen to reach B.
    await page.goto(`${instances.b.url}${olderPath}`);
    await expect(answers(page)).toHaveCount(1);
    await expect(answers(page).first()).toContainText('Done already.');
    await page.goto(`${instances.b.url}${runningPath}`);
    const live = page.getByTestId('live-answer');
    await expect(live).toContainText('one two');
    await expectGrowing(live, 5);
    await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
    await attachScreenshot(page, testInfo, 'followed-on-b-1280-light');

    await settle(page);
    await expect(answers(page)).toHaveCount(1);
    await expect(answers(page).first()).toHaveAttribute('data-status', 'complete');
    await expect(answers(page).first()).toContainText(reply);
    // Finished while nobody was on A: A shows it stored too.
    await page.goto(`${instances.a.url}${runningPath}`);
    await expect(answers(page).first()).toContainText(reply);
    await expect(page.getByTestId('live-answer')).toHaveCount(0);
  });

  test('Stop pressed on B ends the model call A is making; the partial answer is stored as interrupted', async ({ page }) => {
    await newChat(page, instances.a.url);
    const reply = COUNTING_ANSWER;
    const prompt = `Count slowly? [slow:250][reply:${reply}]`;
    await send(page, prompt);
    await expect(page.getByTestId('live-answer')).toContainText('one two');
    await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
    const runningPath = new URL(page.url()).pathname;

    await page.goto(`${instances.b.url}${runningPath}`);
    const live = page.getByTestId('live-answer');
    await expect(live).toContainText('three');
    // The words of the answer so far (the text before them is the answer's header: its badge and progress).
    const seenBeforeStop = /one\b.*$/.exec((await live.textContent()) ?? '')?.[0] ?? 'nothing seen';
    await page.getByRole('button', { name: 'Stop' }).click();
    await settle(page);
    const answer = answers(page).last();
    await expect(answer).toHaveAttribute('data-status', 'interrupted');
    // Nothing the reader saw is missing from what was stored, and the model was not left writing to the end.
    await expect(answer).toContainText(seenBeforeStop);
    await expect(answer).not.toContainText('finally');
    await expect.poll(() => instances.mock.chatRequests().at(-1)?.closedByClient).toBe(true);

    await page.goto(`${instances.a.url}${runningPath}`);
    await expect(answers(page).last()).toHaveAttribute('data-status', 'interrupted');
    await expect(answers(page).last()).toContainText(seenBeforeStop);
  });
});
