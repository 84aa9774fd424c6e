import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page, type PageScreenshotOptions, type TestInfo } from '@playwright/test';

/** What the chat page's tests do on it, as a person would. */

/**
 * An answer of 40 words that counts up (one two three... then more1... and finally), for tests that leave an answer
 * and come back to it while it is still being written: at a word every 250 ms it runs 10 s, time enough for page
 * loads on a busy machine.
 */
export const COUNTING_ANSWER = [
  ...'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen'.split(' '),
  ...Array.from({ length: 23 }, (_, i) => `more${i + 1}`),
  'finally',
].join(' ');

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

const MOCK_URL = process.env.E2E_MOCK_URL!;

export type MockRequest = {
  kind: string;
  closedByClient: boolean;
  finished: boolean;
  prompt: string;
  /** The files the latest prompt was sent with: images by type and size, text files as the text part sent. */
  files: { images: { type: string; bytes: number }[]; texts: string[] };
};

export async function mockRequests(page: Page): Promise<MockRequest[]> {
  const response = await page.request.get(`${MOCK_URL}/__mock/requests`);
  return (await response.json()) as MockRequest[];
}

/**
 * Notes whether `text`, once in an answer on screen, ever leaves it: neither the move from `/` to the conversation's
 * page nor the hand-over from stream to stored history may flicker.
 */
export async function watchForFlicker(page: Page, text: string) {
  type Watches = Record<string, { seen: boolean; lost: number }>;
  await page.evaluate((watched) => {
    const watches = ((window as unknown as { __flicker?: Watches }).__flicker ??= {});
    const state: Watches[string] = (watches[watched] = { seen: false, lost: 0 });
    new MutationObserver(() => {
      const present = Array.from(document.querySelectorAll('article[data-role="assistant"]')).some((answer) =>
        (answer.textContent ?? '').includes(watched),
      );
      if (present) state.seen = true;
      else if (state.seen) state.lost += 1;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, text);
  return async () => page.evaluate((watched) => (window as unknown as { __flicker: Watches }).__flicker[watched], text);
}

/** How many characters of text an element holds now. */
export const textLength = async (locator: Locator) => (await locator.textContent())?.length ?? 0;

/** Waits until an element's text (an answer being written) has grown by more than `chars` from what it is now. */
export async function expectGrowing(locator: Locator, chars: number) {
  const now = await textLength(locator);
  await expect.poll(() => textLength(locator)).toBeGreaterThan(now + chars);
}

/** A screenshot of the page, kept in the test's output and attached to its report, to be looked at. */
export async function attachScreenshot(page: Page, testInfo: TestInfo, name: string, options: PageScreenshotOptions = {}) {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ ...options, path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** The serious and critical accessibility violations axe finds on the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
