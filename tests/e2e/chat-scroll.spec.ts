import { expect, test, type Page } from '@playwright/test';
import { answers, expectGrowing, newChat, send, settle } from './chat-page';

/** About 11 sections of Markdown (headings, paragraphs, lists, code blocks, quotes), 4,000 px tall at 1280 px. */
const LONG_ANSWER = '[markdown:600][slow:1]';

const scrollY = (page: Page) => page.evaluate(() => window.scrollY);
const atBottom = (page: Page) =>
  page.evaluate(() => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 4);
/** Whether the end of the last answer is on screen. */
const answerEndInView = (page: Page) =>
  answers(page)
    .last()
    .evaluate((answer) => {
      const { bottom } = answer.getBoundingClientRect();
      return bottom > 0 && bottom <= window.innerHeight;
    });

/** A first prompt moves to the conversation's own page once its run has begun; that page then follows it. */
const onItsOwnPage = (page: Page) => expect(page.locator('section[data-running]')).toHaveCount(1);

test.beforeEach(async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 600 });
});

test('follows a long answer to its end, and still shows its end once the stored answer has taken over', async ({ page }) => {
  await newChat(page);
  await send(page, `A long guide? ${LONG_ANSWER}`);
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('Section heading');
  // following: the page keeps scrolling down to the newest text
  await expect.poll(() => scrollY(page)).toBeGreaterThan(1000);
  await settle(page);
  await expect.poll(() => atBottom(page)).toBe(true);
  expect(await answerEndInView(page)).toBe(true);
  // and a visit later opens the conversation at its end too
  await page.reload();
  await expect.poll(() => atBottom(page)).toBe(true);
  expect(await answerEndInView(page)).toBe(true);
});

test('leaves a reader who scrolled up where they are, while the answer streams and after it is stored', async ({ page }) => {
  await newChat(page);
  await send(page, `A long guide? ${LONG_ANSWER}`);
  await onItsOwnPage(page);
  const live = page.getByTestId('live-answer');
  await expect(live).toContainText('Section heading');
  await expect.poll(() => scrollY(page)).toBeGreaterThan(100);
  await page.mouse.move(700, 250);
  await page.mouse.wheel(0, -100_000);
  // The reader is back at their prompt once the scroll has come to rest. Not always at 0: while the wheel's smooth
  // scroll is under way, the browser's scroll anchoring may shift it by what grew above the view meanwhile.
  const prompt = page.locator('[data-role="user"]').last();
  const promptTop = () => prompt.evaluate((element) => Math.round(element.getBoundingClientRect().top));
  let resting = Number.NaN;
  await expect
    .poll(async () => {
      const before = await promptTop();
      await page.waitForTimeout(250);
      const after = await promptTop();
      resting = before === after ? after : Number.NaN;
      return resting >= 0 && (await scrollY(page)) < 100;
    })
    .toBe(true);
  // more text arrives, and what the reader sees stays where it is
  await expectGrowing(live, 500);
  expect(await promptTop()).toBe(resting);
  // through the end of the answer and its hand-over to the stored copy
  await settle(page);
  await expect(answers(page).last()).toHaveAttribute('data-status', 'complete');
  expect(await promptTop()).toBe(resting);
});

test('hands a finished answer over to the stored one in place: its rendered elements stay, nothing is rendered anew', async ({ page }) => {
  await newChat(page);
  await send(page, `A long guide? ${LONG_ANSWER}`);
  await onItsOwnPage(page);
  const live = page.getByTestId('live-answer');
  // The first chunk of blocks is complete once enough text has come: mark its element and the answer's.
  await expect(live.locator('article > div').nth(1).locator('> div').nth(1)).toBeAttached();
  await live.evaluate((wrapper) => {
    const article = wrapper.querySelector('article')!;
    const firstChunk = article.querySelector(':scope > div:nth-of-type(2) > div')!;
    Object.assign(article, { __kept: 'article' });
    Object.assign(firstChunk, { __kept: 'chunk' });
  });
  await settle(page);
  const kept = await answers(page)
    .last()
    .evaluate((article) => {
      const firstChunk = article.querySelector(':scope > div:nth-of-type(2) > div');
      return [(article as unknown as { __kept?: string }).__kept, (firstChunk as unknown as { __kept?: string } | null)?.__kept];
    });
  expect(kept).toEqual(['article', 'chunk']);
  // and it is the stored answer now: Regenerate, which only stored answers have, is there
  await expect(answers(page).last().getByRole('button', { name: 'Regenerate' })).toHaveCount(1);
});

test('keeps the blocks a chunk of the answer drew once the chunk fills up and the next one starts', async ({ page }) => {
  // On the conversation's own page, so that the page itself stays through the whole answer.
  await newChat(page);
  await send(page, 'Hi [reply:hi]');
  await settle(page);
  // The first heading the next answer draws, caught the moment it is added: the first chunk fills within a few
  // hundred tokens, too soon to look for it afterwards.
  await page.evaluate(() => {
    new MutationObserver((_, observer) => {
      const heading = document.querySelector('[data-testid="live-answer"] h2');
      if (!heading) return;
      Object.assign(window, { __firstHeading: heading });
      observer.disconnect();
    }).observe(document.body, { childList: true, subtree: true });
  });
  await send(page, `A long guide? ${LONG_ANSWER}`);
  const live = page.getByTestId('live-answer');
  // several chunks drawn: the first one filled up a while ago
  await expect(live.locator('article > div').nth(1).locator('> div').nth(2)).toBeAttached();
  const firstHeadingKept = () =>
    answers(page)
      .last()
      .evaluate((article) => {
        const heading = (window as unknown as { __firstHeading?: Element }).__firstHeading;
        const firstChunk = article.querySelector(':scope > div:nth-of-type(2) > div');
        return heading?.isConnected === true && firstChunk?.contains(heading) === true;
      });
  expect(await firstHeadingKept()).toBe(true);
  await settle(page);
  expect(await firstHeadingKept()).toBe(true);
});
