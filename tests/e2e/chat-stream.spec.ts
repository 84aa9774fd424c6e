import { expect, test } from '@playwright/test';
import { answers, attachScreenshot, COUNTING_ANSWER, expectGrowing, mockRequests, newChat, promptBox, send, settle, watchForFlicker } from './chat-page';

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
  const startFlicker = await watchForFlicker(page, 'Herons stand');
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
  // moving from `/` to the conversation's own page, and the stored answer taking over, never blanked the answer
  expect(await startFlicker()).toEqual({ seen: true, lost: 0 });
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
  await expectGrowing(live, 10);
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await attachScreenshot(page, testInfo, 'resumed-1280-light');
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
  const reply = COUNTING_ANSWER;
  await send(page, `Count slowly? [slow:250][reply:${reply}]`);
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
  // highlighted: its tokens carry the theme's colours, worked out by a worker off the page's main thread
  await expect(code.locator('pre span[style*="--sdm-c"]').first()).toBeAttached();
  expect(page.workers().map((worker) => worker.url())).toEqual([expect.stringContaining('/_next/static/')]);
  // and in the dark theme's colours when the system is dark
  const tokens = code.locator('pre span[style*="--sdm-c"]');
  const color = () => tokens.evaluateAll((spans) => spans.map((span) => getComputedStyle(span).color).join());
  const light = await color();
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(color).not.toBe(light);
  await page.emulateMedia({ colorScheme: 'light' });
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

test('raw HTML in model output is never executed, while it streams nor once stored', async ({ page }) => {
  await newChat(page);
  const html = '<b onmouseover="window.__xss=3">bold</b> <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>';
  await send(page, `Show html? [slow:150][reply:**safe** ${html} and more words after it to keep it streaming a while]`);
  // mid-stream: the live answer holds the text and the markup, but no element of it can run anything
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('bold');
  await expect(live.locator('article[data-status="streaming"]')).toHaveCount(1);
  await expect(live.locator('script, img[onerror], [onmouseover]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await settle(page);
  await page.reload();
  await expect(answers(page).last()).toContainText('safe');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(answers(page).last().locator('script, img[onerror], [onmouseover]')).toHaveCount(0);
});
