import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { answers, newChat, promptBox, send, settle } from './chat-page';

const MOCK_URL = process.env.E2E_MOCK_URL!;

type MockRequest = { kind: string; closedByClient: boolean; finished: boolean; prompt: string };

async function mockRequests(page: Page): Promise<MockRequest[]> {
  const response = await page.request.get(`${MOCK_URL}/__mock/requests`);
  return (await response.json()) as MockRequest[];
}

/** Notes whether `text`, once in an answer on screen, ever leaves it: the hand-over from stream to stored history must not flicker. */
async function watchForFlicker(page: Page, text: string) {
  await page.evaluate((watched) => {
    const state = { seen: false, lost: 0 };
    (window as unknown as { __flicker: typeof state }).__flicker = state;
    new MutationObserver(() => {
      const present = Array.from(document.querySelectorAll('article[data-role="assistant"]')).some((answer) =>
        (answer.textContent ?? '').includes(watched),
      );
      if (present) state.seen = true;
      else if (state.seen) state.lost += 1;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, text);
  return async () => page.evaluate(() => (window as unknown as { __flicker: { seen: boolean; lost: number } }).__flicker);
}

test('streams an answer in visible pieces, then the history survives a reload', async ({ page }) => {
  // The Content-Security-Policy blocks nothing the app itself needs.
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await newChat(page);
  // Record every text the answer shows while it streams.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __renders: string[] }).__renders = seen;
    new MutationObserver(() => {
      const live = document.querySelector('[data-testid="live-answer"] article');
      const text = live?.textContent ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const flicker = await watchForFlicker(page, 'strike fast at passing fish.');
  await send(page, 'How do herons fish? [slow:120][reply:Herons stand still in shallow water and strike fast at passing fish.]');
  await expect(page.getByTestId('progress')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(promptBox(page)).toBeDisabled();
  await settle(page);

  const renders = await page.evaluate(() => (window as unknown as { __renders: string[] }).__renders);
  const partial = renders.filter((t) => t.includes('Herons') && !t.includes('passing fish.'));
  expect(partial.length).toBeGreaterThanOrEqual(2);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  expect(violations).toEqual([]);
  await expect(answers(page).last()).toContainText('strike fast at passing fish.');
  await expect(answers(page).last().getByTestId('mode-badge')).toHaveText('Question');
  // moving from `/` to the conversation's own page never blanked the answer
  expect(await flicker()).toEqual({ seen: true, lost: 0 });

  await page.reload();
  await expect(page.locator('[data-role="user"]')).toHaveText(['How do herons fish? [slow:120][reply:Herons stand still in shallow water and strike fast at passing fish.]']);
  await expect(answers(page)).toHaveCount(1);
  await expect(answers(page).first()).toContainText('Herons stand still in shallow water');
});

test('a reload mid-answer shows the answer continuing live, then stored, nothing twice and nothing missing', async ({ page }, testInfo) => {
  const reply = 'Rivers begin as rain that gathers into rills and streams, then carve valleys on their way down to the sea.';
  await newChat(page);
  // Slow enough (20 words, 5 s) that a reload on a busy machine still finds it running.
  await send(page, `How do rivers form? [slow:250][reply:${reply}]`);
  await expect(page.getByTestId('live-answer')).toContainText('Rivers begin');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await page.reload();
  // The page picks the run up by itself: the answer goes on growing in front of the reader.
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('Rivers begin');
  const seenAfterReload = (await live.textContent())?.length ?? 0;
  await expect.poll(async () => (await live.textContent())?.length ?? 0).toBeGreaterThan(seenAfterReload + 10);
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  const file = testInfo.outputPath('resumed-1280-light.png');
  await page.screenshot({ path: file });
  await testInfo.attach('resumed-1280-light', { path: file, contentType: 'image/png' });
  await settle(page);
  await expect(page.locator('[data-role="user"]')).toHaveCount(1);
  await expect(answers(page)).toHaveCount(1);
  await expect(answers(page).first()).toContainText(reply);
});

test('leaving for another conversation and coming back picks the answer up where it is', async ({ page }) => {
  await newChat(page);
  await send(page, 'An older question? [reply:Done already.]');
  await settle(page);
  const olderUrl = page.url();
  await newChat(page);
  const reply = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
  await send(page, `Count slowly? [slow:150][reply:${reply}]`);
  await expect(page.getByTestId('live-answer')).toContainText('one two');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  const runningUrl = page.url();
  await page.goto(olderUrl);
  await expect(answers(page)).toHaveCount(1);
  await page.goto(runningUrl);
  await expect(page.getByTestId('live-answer')).toBeVisible();
  await settle(page);
  await expect(answers(page)).toHaveCount(1);
  await expect(answers(page).first()).toContainText(reply);
});

test('GET .../stream works with a plain EventSource, which stops once the run is over', async ({ page }) => {
  await newChat(page);
  // Slow enough (3 s) that the EventSource connects while it runs, on a busy machine too.
  await send(page, 'Slow one? [slow:300][reply:a b c d e f g h i j]');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').at(-1)!;
  const received = await page.evaluate(async (conversationId) => {
    const types: string[] = [];
    const source = new EventSource(`/api/conversations/${conversationId}/stream`);
    source.onmessage = (message) => types.push((JSON.parse(message.data) as { type: string }).type);
    // After `done` the server closes; the browser reconnects once, gets 204 and gives up for good.
    await new Promise<void>((resolve) => {
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) resolve();
      };
    });
    return types;
  }, id);
  expect(received[0]).toBe('chat_history');
  expect(received).toContain('delta');
  expect(received.at(-1)).toBe('done');
  await settle(page);
});

test('reaches every mode, with a badge for each and highlighted code', async ({ page }) => {
  await newChat(page);
  const cases: [string, string][] = [
    ['a poem about the sea', 'Poem'],
    ['a script that prints hello', 'Code'],
    ['How do rivers form?', 'Question'],
    ['hmm', 'Clarify'],
    ['something unsafe', 'Refused'],
  ];
  for (const [index, [prompt, badge]] of cases.entries()) {
    await send(page, prompt);
    await settle(page);
    await expect(answers(page)).toHaveCount(index + 1);
    await expect(answers(page).nth(index).getByTestId('mode-badge')).toHaveText(badge);
  }
  const code = answers(page).nth(1);
  await expect(code.locator('pre')).toContainText('console.log("mock code");');
  await expect(code.getByRole('button', { name: /copy/i }).first()).toBeVisible();
  for (const index of [0, 1, 2, 3, 4]) {
    await expect(answers(page).nth(index).getByRole('button', { name: 'Copy answer' })).toHaveCount(1);
  }
  await expect(answers(page).nth(4)).toContainText('cannot help with that');
  // a poem keeps its line breaks
  await expect(answers(page).nth(0).locator('br')).toHaveCount(1);
  // no duplicates after the server took over
  await expect(page.locator('[data-role="user"]')).toHaveCount(5);
  // and no flicker when the refreshed history takes a streamed answer over on the conversation's page
  const flicker = await watchForFlicker(page, 'Kingfishers dive headfirst.');
  await send(page, 'And then? [slow:40][reply:Kingfishers dive headfirst.]');
  await settle(page);
  await expect(answers(page)).toHaveCount(6);
  expect(await flicker()).toEqual({ seen: true, lost: 0 });
});

test('Stop ends the answer on the server, keeps the partial text and marks it interrupted', async ({ page }, testInfo) => {
  await newChat(page);
  const prompt = 'Count slowly? [slow:250][reply:one two three four five six seven eight nine ten eleven twelve]';
  await send(page, prompt);
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('two');
  await page.screenshot({ path: testInfo.outputPath('streaming-1280-light.png') });
  await page.getByRole('button', { name: 'Stop' }).click();
  await settle(page);
  await page.screenshot({ path: testInfo.outputPath('interrupted-1280-light.png') });

  const answer = answers(page).last();
  await expect(answer).toHaveAttribute('data-status', 'interrupted');
  await expect(answer).toContainText('Interrupted');
  await expect(answer).toContainText('one two');
  await expect(answer).not.toContainText('twelve');
  // the server stopped asking the upstream
  await expect
    .poll(async () => (await mockRequests(page)).filter((r) => r.kind === 'chat' && r.prompt === prompt).at(-1)?.closedByClient)
    .toBe(true);
  await page.reload();
  await expect(answers(page).last()).toHaveAttribute('data-status', 'interrupted');
});

test('an upstream failure shows a readable error and the prompt box works again at once', async ({ page }) => {
  await newChat(page);
  await send(page, 'Will this work? [fail:500]');
  await expect(page.getByRole('main').getByRole('alert')).toContainText(/model provider answered with HTTP 500/);
  await expect(promptBox(page)).toBeEnabled();
  await settle(page);
  await send(page, 'And now?');
  await settle(page);
  await expect(answers(page).last()).toContainText('mock upstream answering');
});

test('raw HTML in model output is never executed', async ({ page }) => {
  await newChat(page);
  await send(page, 'Show html? [reply:<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> **safe**]');
  await settle(page);
  await page.reload();
  await expect(answers(page).last()).toContainText('safe');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(answers(page).last().locator('script, img[onerror]')).toHaveCount(0);
});

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

test('follows a growing answer, but not once the reader scrolls up', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 500 });
  await newChat(page);
  const lines = Array.from({ length: 40 }, (_, i) => `Line ${i + 1} of a long answer.`).join('\n\n');
  await send(page, `Long answer? [slow:25][reply:${lines}]`);
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('Line 12 ');
  // following: the page has scrolled down to the newest text
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
  await page.mouse.move(700, 250);
  await page.mouse.wheel(0, -100_000);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(0);
  const seenAtScrollUp = (await live.textContent())?.length ?? 0;
  // more text arrives, and the reader stays where they are
  await expect.poll(async () => (await live.textContent())?.length ?? 0).toBeGreaterThan(seenAtScrollUp + 100);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  await settle(page);
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
    const file = testInfo.outputPath(`new-chat-${width}-light.png`);
    await page.screenshot({ path: file });
    await testInfo.attach(`new-chat-${width}-light`, { path: file, contentType: 'image/png' });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const scan = async () => {
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
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
      const file = testInfo.outputPath(`conversation-${width}-${colorScheme}.png`);
      await page.screenshot({ path: file, fullPage: false });
      await testInfo.attach(`conversation-${width}-${colorScheme}`, { path: file, contentType: 'image/png' });
    }
  }
});

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
  const file = testInfo.outputPath('trace-1280-light.png');
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach('trace-1280-light', { path: file, contentType: 'image/png' });

  // Fork from here, on the poem run's mode decision: a new conversation writes the poem again.
  const traceUrl = page.url();
  await runs.nth(1).getByRole('link', { name: 'decide_mode' }).click();
  await page.getByTestId('step-detail').getByRole('button', { name: 'Fork from here' }).click();
  await expect(page).not.toHaveURL(traceUrl);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await settle(page);
  await expect(page.locator('[data-role="user"]')).toHaveText(['A poem about herons [reply:Grey heron waits by the water]']);
  await expect(answers(page).first().getByTestId('mode-badge')).toHaveText('Poem');
});

test('Regenerate writes the answer again in a new conversation, same prompt and mode, which then takes a new prompt', async ({ page }) => {
  await newChat(page);
  await send(page, 'A poem about the tide');
  await settle(page);
  const parentUrl = page.url();
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
  const mock = await mockRequests(page);
  expect(mock.filter((r) => r.prompt === 'A poem about the tide' && r.kind === 'router')).toHaveLength(1);
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
