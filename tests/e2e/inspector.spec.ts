import { expect, test } from '@playwright/test';
import { answers, attachScreenshot, newChat, send, settle } from './chat-page';

test('the inspector draws every state of the machine and follows a run through it live', async ({ page, context }, testInfo) => {
  // The server lays the machine out once, on the first visit: done before the run, so the live part is not
  // spent waiting for it (seen: two page loads of 2.5 s each on a busy machine ate a 5 s window).
  const inspector = await context.newPage();
  await inspector.goto('/inspect');
  await newChat(page);
  const reply = 'Grey heron waits, the river holds its breath, a silver flash and then the water closes';
  await send(page, `A poem about herons [slowrouter:8000][slow:150][reply:${reply}]`);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  const conversationUrl = page.url();

  await inspector.goto(conversationUrl);
  await inspector.getByRole('link', { name: 'Watch the machine' }).click();
  await expect(inspector).toHaveURL(/\/inspect\?c=/);
  const diagram = inspector.getByRole('img', { name: 'The agent state machine' });
  for (const state of ['prompt', 'analyzing', 'check_safety', 'decide_mode', 'answer_question', 'generate_poem', 'generate_code', 'prompt_for_more', 'unsafe_response']) {
    await expect(diagram.locator(`[data-state$=".${state}"]`)).toHaveCount(1);
  }
  const active = (state: string) => diagram.locator(`[data-state="agent.${state}"][data-active]`);
  // The safety check is done and waits in its final state while the router is still deciding.
  await expect(active('analyzing.decide_mode.running')).toHaveCount(1);
  await expect(active('analyzing.check_safety.done')).toHaveCount(1);
  await expect(active('prompt')).toHaveCount(0);
  // Then the poem is written...
  await expect(active('generate_poem')).toHaveCount(1);
  await expect(active('analyzing')).toHaveCount(0);
  const file = testInfo.outputPath('inspector-1280-light.png');
  await inspector.screenshot({ path: file, fullPage: true });
  await testInfo.attach('inspector-1280-light', { path: file, contentType: 'image/png' });
  // ...and the machine rests in prompt again.
  await expect(active('prompt')).toHaveCount(1, { timeout: 20_000 });
  await settle(page);
});

test('the trace view shows each run as a waterfall of its steps, and what a step sent upstream', async ({ page }, testInfo) => {
  await newChat(page);
  await send(page, 'A poem about herons [reply:Grey heron waits by the water]');
  await settle(page);
  await send(page, 'How deep is the sea? [reply:Deep enough.]');
  await settle(page);
  // each answer shows its tokens in small print (the mock counts words: "Deep enough." is two)
  await expect(answers(page).last().getByTestId('tokens')).toHaveText('2 tokens');
  await page.getByRole('link', { name: 'Trace' }).click();
  await expect(page).toHaveURL(/\/trace$/);
  const runs = page.locator('article[data-run]');
  await expect(runs).toHaveCount(2);
  // newest first, each with its steps in start order
  await expect(runs.first().getByRole('list', { name: 'Steps' }).getByRole('listitem')).toHaveText([/^check_safety/, /^decide_mode/, /^answer_question/]);
  await expect(runs.nth(1).locator('[data-step]')).toHaveText([/^check_safety/, /^decide_mode/, /^generate_poem/]);
  await expect(runs.nth(1).locator('[data-step="generate_poem"]')).toContainText(/first token \d+ ms/);

  await runs.first().getByRole('link', { name: 'answer_question' }).click();
  const detail = page.getByTestId('step-detail');
  await expect(detail).toBeVisible();
  const sent = detail.getByTestId('upstream-messages').getByRole('listitem');
  // the whole conversation went upstream: instructions, the earlier turn, the new prompt
  await expect(sent).toHaveCount(4);
  await expect(sent.first()).toContainText('system');
  await expect(sent.nth(1)).toContainText('A poem about herons');
  await expect(sent.nth(2)).toContainText('Grey heron waits by the water');
  await expect(sent.last()).toContainText('How deep is the sea?');
  await expect(detail).toContainText('chat history');
  await expect(detail).not.toContainText('e2e'); // the API key
  await attachScreenshot(page, testInfo, 'trace-1280-light', { fullPage: true });

  // Fork from here, on the poem run's mode decision: a new conversation writes the poem again.
  const traceUrl = page.url();
  await runs.nth(1).getByRole('link', { name: 'decide_mode' }).click();
  // (the poem run's own step, not the detail shown before, which stays until the new one has loaded)
  await runs.nth(1).getByRole('region', { name: 'Step decide_mode' }).getByRole('button', { name: 'Fork from here' }).click();
  await expect(page).not.toHaveURL(traceUrl);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await settle(page);
  await expect(page.locator('[data-role="user"]')).toHaveText(['A poem about herons [reply:Grey heron waits by the water]']);
  await expect(answers(page).first().getByTestId('mode-badge')).toHaveText('Poem');
});
