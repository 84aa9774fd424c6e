import { describe, expect, it } from 'vitest';
import { cleanFileName, decideFileType, MAX_TEXT_ATTACHMENT_BYTES } from '@/lib/attachments/file-type';
import { fileDisposition } from '@/lib/export/file-name';
import { requestForTrace, sendsImages, toMessages } from '@/lib/llm/prompts';

const bytes = (text: string) => new TextEncoder().encode(text);
const codeOf = (run: () => ReturnType<typeof decideFileType>) => {
  const decided = run();
  return decided.kind === 'refused' ? decided.code : null;
};

describe('what a file is', () => {
  it('is an image only by its magic numbers, and text only when it is UTF-8 without NUL', () => {
    expect(decideFileType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'x.txt', 100)).toEqual({ kind: 'image', type: 'image/png' });
    expect(decideFileType(bytes('héllo ✓'), 'notes', 100)).toEqual({ kind: 'text', type: 'text/plain' });
    expect(decideFileType(bytes('a,b'), 'TABLE.CSV', 100)).toEqual({ kind: 'text', type: 'text/csv' });
    expect(codeOf(() => decideFileType(bytes('a\u0000b'), 'a.txt', 100))).toBe('unsupported_media_type');
    // A PNG's signature cut short is not a PNG, nor text.
    expect(codeOf(() => decideFileType(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'a.png', 100))).toBe('unsupported_media_type');
  });

  it('refuses active markup however it is named, with leading space, an XML prolog or a comment', () => {
    for (const text of ['  <svg/>', '<?xml version="1.0"?><!-- c --><svg></svg>', '<!doctype HTML><html>', '<script>x</script>']) {
      expect([text, codeOf(() => decideFileType(bytes(text), 'a.txt', 100))]).toEqual([text, 'unsupported_media_type']);
    }
    expect(decideFileType(bytes('<b>not a page</b>'), 'a.txt', 100)).toEqual({ kind: 'text', type: 'text/plain' });
  });

  it('holds images to the configured limit and text to 1 MiB', () => {
    const png = new Uint8Array(101);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(codeOf(() => decideFileType(png, 'a.png', 100))).toBe('attachment_too_large');
    expect(codeOf(() => decideFileType(new Uint8Array(MAX_TEXT_ATTACHMENT_BYTES + 1).fill(97), 'a.txt', 10 * MAX_TEXT_ATTACHMENT_BYTES))).toBe('attachment_too_large');
  });

  it('keeps a name a person recognises, never a path or control characters', () => {
    expect(cleanFileName('C:\\Users\\me\\photo.png')).toBe('photo.png');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(cleanFileName('  ')).toBe('file');
    const long = cleanFileName(`${'x'.repeat(300)}.csv`);
    expect([long.length, long.endsWith('.csv')]).toEqual([255, true]);
    expect(fileDisposition('inline', 'résumé "final".png')).toBe(`inline; filename="resume final.png"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.png`);
  });
});

describe('what the model is sent of files', () => {
  const png = { id: 'i', name: 'pixel.png', type: 'image/png', size: 3, data: new Uint8Array([1, 2, 3]) };
  const csv = { id: 'c', name: 'a.csv', type: 'text/csv', size: 4, data: bytes('x,y\n') };

  it('content parts with the bytes, names without them, and the trace without the image', () => {
    const answer = toMessages('sys', [{ role: 'user', content: 'look', files: [png, csv] }]);
    expect(answer[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } },
        { type: 'text', text: 'File: a.csv\n\nx,y\n' },
      ],
    });
    expect(sendsImages(answer)).toBe(true);
    const routed = toMessages('sys', [{ role: 'user', content: 'look', attachments: [png, csv] }]);
    expect(routed[1]).toEqual({ role: 'user', content: 'look\n\n[Attached files: pixel.png, a.csv]' });
    expect(sendsImages(routed)).toBe(false);
    const traced = requestForTrace({ model: 'm', messages: answer });
    expect(JSON.stringify(traced)).toContain('data:image/png;base64,…(3 bytes)');
    expect(JSON.stringify(answer)).toContain('AQID');
  });
});
