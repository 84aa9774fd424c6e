import { expect, test, type Page } from '@playwright/test';
import { answers, attachScreenshot, mockRequests, newChat, promptBox, send, seriousViolations, settle } from './chat-page';

/** A picture as a person would attach one (a sunset drawn on a canvas, 320x200), as PNG bytes. */
async function drawnPicture(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 200;
    const context = canvas.getContext('2d')!;
    const sky = context.createLinearGradient(0, 0, 0, 200);
    sky.addColorStop(0, '#1e3a8a');
    sky.addColorStop(1, '#f97316');
    context.fillStyle = sky;
    context.fillRect(0, 0, 320, 200);
    context.fillStyle = '#fde047';
    context.beginPath();
    context.arc(160, 150, 40, 0, Math.PI * 2);
    context.fill();
    context.fillStyle = '#0f172a';
    context.fillRect(0, 160, 320, 40);
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

const CSV = 'city,population\nOslo,709000\nBergen,291000\n';

const toSend = (page: Page) => page.getByRole('list', { name: 'Files to send' });
const chip = (page: Page, name: string) => toSend(page).locator('li', { hasText: name });

async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]) {
  await page.getByTestId('file-picker').setInputFiles(files);
  for (const file of files) await expect(chip(page, file.name)).toHaveAttribute('data-status', 'ready');
}

/** Hands files to the page as a drop onto the prompt box, or as a paste into it, the way the browser does. */
async function dropOrPaste(page: Page, how: 'drop' | 'paste', file: { name: string; type: string; base64: string }) {
  await page.evaluate(
    ({ how, file }) => {
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
      if (how === 'drop') {
        const box = document.querySelector('[data-testid="prompt-box"]')!;
        box.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        box.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      } else {
        document.querySelector('#prompt')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
      }
    },
    { how, file },
  );
}

test('sends an image and a CSV with a prompt: the model is sent both, the message shows them, a click opens one', async ({ page }, testInfo) => {
  await newChat(page);
  const PNG = await drawnPicture(page);
  await attach(page, [
    { name: 'sunset.png', mimeType: 'image/png', buffer: PNG },
    { name: 'cities.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) },
  ]);
  await expect(page.getByRole('button', { name: 'Remove sunset.png' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove cities.csv' })).toBeVisible();
  await promptBox(page).fill('What do these show?');
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, 'attach-before-1280-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'attach-before-1280-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await promptBox(page).press('Enter');
  await expect(toSend(page)).toHaveCount(0);
  await settle(page);
  await expect(answers(page).last()).toContainText(`I received an image (image/png, ${PNG.length} bytes) and a text file (File: cities.csv).`);
  const sent = (await mockRequests(page)).filter((request) => request.kind === 'chat' && request.prompt === 'What do these show?').at(-1)!;
  expect(sent.files).toEqual({ images: [{ type: 'image/png', bytes: PNG.length }], texts: [`File: cities.csv\n\n${CSV}`] });

  // The message keeps its files after a reload: the image as a thumbnail that opens, the CSV as a chip.
  await page.reload();
  const files = page.getByTestId('message-files');
  await expect(files.getByRole('img', { name: 'sunset.png' })).toBeVisible();
  await expect(files.getByRole('link', { name: /cities\.csv/ })).toBeVisible();
  expect(await files.getByRole('img', { name: 'sunset.png' }).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
  await attachScreenshot(page, testInfo, 'attach-sent-1280-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'attach-sent-1280-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const [opened] = await Promise.all([page.waitForEvent('popup'), files.getByRole('img', { name: 'sunset.png' }).click()]);
  await opened.waitForLoadState();
  expect(opened.url()).toMatch(/\/api\/attachments\/[0-9a-f-]{36}$/);
});

test('on a phone, files to send and sent files fit the screen', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await newChat(page);
  const PNG = await drawnPicture(page);
  await attach(page, [
    { name: 'sunset.png', mimeType: 'image/png', buffer: PNG },
    { name: 'cities.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) },
  ]);
  await promptBox(page).fill('Which city is larger?');
  await attachScreenshot(page, testInfo, 'attach-before-375-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await attachScreenshot(page, testInfo, 'attach-before-375-dark');
  await promptBox(page).press('Enter');
  await settle(page);
  const box = await page.getByTestId('message-files').boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  await attachScreenshot(page, testInfo, 'attach-sent-375-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await attachScreenshot(page, testInfo, 'attach-sent-375-light');
});

test('a dropped file and a pasted image are attached; Remove takes one off; a refused file says why, and the box still works', async ({ page }) => {
  await newChat(page);
  const PNG = await drawnPicture(page);
  await dropOrPaste(page, 'drop', { name: 'notes.md', type: 'text/markdown', base64: Buffer.from('# Notes\n').toString('base64') });
  await expect(chip(page, 'notes.md')).toHaveAttribute('data-status', 'ready');
  await dropOrPaste(page, 'paste', { name: 'image.png', type: 'image/png', base64: PNG.toString('base64') });
  await expect(chip(page, 'Pasted image.png')).toHaveAttribute('data-status', 'ready');

  await page.getByRole('button', { name: 'Remove notes.md' }).click();
  await expect(chip(page, 'notes.md')).toHaveCount(0);

  await page.getByTestId('file-picker').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  await expect(page.getByRole('alert').filter({ hasText: 'logo.svg' })).toContainText('logo.svg: SVG and HTML files are not accepted');
  await expect(chip(page, 'logo.svg')).toHaveCount(0);

  await send(page, 'What is in the picture?');
  await settle(page);
  await expect(answers(page).last()).toContainText(`I received an image (image/png, ${PNG.length} bytes).`);
  await expect(page.getByTestId('message-files').getByRole('img', { name: 'Pasted image.png' })).toBeVisible();
});
