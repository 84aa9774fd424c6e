import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentSchema, ErrorBodySchema, ExportDocumentSchema, RunListSchema, type Attachment } from '@/lib/contract';
import { receivedFiles, startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, ofType, postPrompt, readRun, type ApiClient } from '../helpers/api-client';
import { explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { upstreamEnv, withTwoInstances } from '../helpers/upstream-app';

explainSkippedPostgres();
explainSkippedRedis();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];

/** A 1x1 PNG, and what other files begin with. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.alloc(14)]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56), Buffer.from([0xc3, 0x28, 0xa0, 0xa1])]);
const CSV = 'city,population\nOslo,709000\nBergen,291000\n';

function upload(client: ApiClient, conversationId: string, bytes: Uint8Array | string, name: string, claimedType = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type: claimedType }), name);
  return client.fetch(`/api/conversations/${conversationId}/attachments`, { method: 'POST', body: form });
}

async function uploaded(client: ApiClient, conversationId: string, bytes: Uint8Array | string, name: string): Promise<Attachment> {
  const response = await upload(client, conversationId, bytes, name);
  if (response.status !== 201) throw new Error(`upload ${name}: ${response.status} ${await response.text()}`);
  return AttachmentSchema.parse(await response.json());
}

const errorOf = async (response: Response) => ({ status: response.status, ...ErrorBodySchema.parse(await response.json()).error });

/** The last streamed request upstream whose prompt holds `text`. */
const chatRequestWith = (mock: MockUpstream, text: string) =>
  mock.chatRequests().filter((request) => JSON.stringify(request.body.messages).includes(text)).at(-1)!.body;

describe.each(stores)('attachments, on %s', (storeName) => {
  let mock: MockUpstream;
  let app: AppServer;
  let api: ApiClient;
  let drop = async () => {};

  beforeAll(async () => {
    mock = await startMockUpstream();
    const store = await storeEnv(storeName);
    drop = store.drop;
    app = await startApp({ ...upstreamEnv(mock), ...store.env });
    api = createClient(app.url);
  });
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    await drop();
  });

  it('decides the type from the bytes, whatever the client says, and serves the owner the exact bytes safely', async () => {
    const id = await newConversation(api);
    const cases: [Uint8Array | string, string, string, string][] = [
      [PNG, 'pixel.png', 'text/plain', 'image/png'],
      [JPEG, 'photo.jpg', 'image/png', 'image/jpeg'],
      [GIF, 'anim.gif', '', 'image/gif'],
      [WEBP, 'pic.webp', 'image/png', 'image/webp'],
      [CSV, 'cities.csv', 'application/vnd.ms-excel', 'text/csv'],
      ['# Notes\n', 'notes.md', 'text/x-markdown', 'text/markdown'],
      ['{"a": 1}', 'data.json', '', 'application/json'],
      ['print("hi")\n', 'hello.py', '', 'text/x-python'],
      ['just words', 'README', 'image/png', 'text/plain'],
    ];
    for (const [bytes, name, claimed, type] of cases) {
      const response = await upload(api, id, bytes, name, claimed);
      expect([name, response.status]).toEqual([name, 201]);
      const attachment = AttachmentSchema.parse(await response.json());
      expect(attachment).toEqual({ id: expect.any(String), name, type, size: Buffer.byteLength(bytes) });
      const served = await api.fetch(`/api/attachments/${attachment.id}`);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      expect(served.headers.get('content-type')).toBe(type.startsWith('image/') ? type : `${type}; charset=utf-8`);
      expect(served.headers.get('content-disposition')).toMatch(type.startsWith('image/') ? /^inline; filename="/ : /^attachment; filename="/);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(served.headers.get('cache-control')).toMatch(/^private\b/);
    }
  });

  it('refuses what is neither an image nor text with 415: an executable called a PNG, SVG, HTML, invalid UTF-8', async () => {
    const id = await newConversation(api);
    expect(await errorOf(await upload(api, id, ELF, 'pixel.png', 'image/png'))).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await errorOf(await upload(api, id, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'x.txt', 'image/svg+xml'))).toMatchObject({ status: 415 });
    expect(await errorOf(await upload(api, id, '<?xml version="1.0"?>\n<svg/>', 'drawing.svg', 'text/plain'))).toMatchObject({ status: 415 });
    expect(await errorOf(await upload(api, id, '<!DOCTYPE html><p>hi', 'page.txt', 'text/plain'))).toMatchObject({ status: 415 });
    expect(await errorOf(await upload(api, id, 'plain words', 'page.html', 'text/plain'))).toMatchObject({ status: 415 });
    expect(await errorOf(await upload(api, id, Buffer.from([0x61, 0xff, 0xfe, 0x62]), 'notes.txt', 'text/plain'))).toMatchObject({ status: 415 });
    // Not multipart at all, or no `file` field.
    const json = await api.fetch(`/api/conversations/${id}/attachments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(await errorOf(json)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const form = new FormData();
    form.append('other', 'x');
    expect(await errorOf(await api.fetch(`/api/conversations/${id}/attachments`, { method: 'POST', body: form }))).toMatchObject({ status: 400, code: 'invalid_body' });
  });

  it('refuses a file over its limit with 413: images past ATTACHMENT_MAX_BYTES, text past 1 MiB', async () => {
    const id = await newConversation(api);
    const bigImage = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024 + 1 - PNG.length)]);
    expect(await errorOf(await upload(api, id, bigImage, 'big.png'))).toMatchObject({ status: 413, code: 'attachment_too_large' });
    expect(await errorOf(await upload(api, id, 'a'.repeat(1024 * 1024 + 1), 'big.txt'))).toMatchObject({ status: 413, code: 'attachment_too_large' });
    expect((await upload(api, id, 'a'.repeat(1024 * 1024), 'just.txt')).status).toBe(201);
  });

  it('answers a declared Content-Length over the limit before the body is sent, and cuts off a chunked body at it', async () => {
    const id = await newConversation(api);
    const url = new URL(`${app.url}/api/conversations/${id}/attachments`);
    // Headers only: the server must answer without waiting for a body that never comes.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(url, {
        method: 'POST',
        headers: { cookie: api.cookie, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(50 * 1024 * 1024) },
      });
      request.on('response', (response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(413);

    // A chunked body that never ends: refused once it passes the limit.
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024);
    const endless = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'));
      },
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await api.fetch(url.pathname, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    expect(await errorOf(response)).toMatchObject({ status: 413, code: 'attachment_too_large' });
    expect(sent).toBeLessThan(40 * 1024 * 1024);
  });

  it('belongs to its conversation\'s owner: another session gets 404, as for an id that is not one', async () => {
    const id = await newConversation(api);
    const file = await uploaded(api, id, PNG, 'mine.png');
    const stranger = createClient(app.url);
    expect(await errorOf(await stranger.fetch(`/api/attachments/${file.id}`))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await upload(stranger, id, PNG, 'theirs.png'))).toMatchObject({ status: 404, code: 'not_found' });
    expect((await api.fetch(`/api/attachments/not-an-id`)).status).toBe(404);
    expect((await api.fetch(`/api/attachments/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('sends images as data URLs of the exact bytes and text files whole; the router and the trace get names, not bytes', async () => {
    const id = await newConversation(api);
    const image = await uploaded(api, id, PNG, 'pixel.png');
    const csv = await uploaded(api, id, CSV, 'cities.csv');
    const response = await postPrompt(api, id, 'What do these show?', {
      body: JSON.stringify({ prompt: 'What do these show?', attachments: [image.id, csv.id] }),
    });
    expect(response.status).toBe(200);
    const { events } = await readRun(response);
    const done = ofType(events, 'done')[0]!.value;
    expect(done.content).toBe(`I received an image (image/png, ${PNG.length} bytes) and a text file (File: cities.csv).`);

    const sent = chatRequestWith(mock, 'What do these show?');
    expect(receivedFiles(sent).texts).toEqual([`File: cities.csv\n\n${CSV}`]);
    const imagePart = JSON.stringify(sent.messages).match(/data:image\/png;base64,([A-Za-z0-9+/=]+)/)?.[1];
    expect(Buffer.from(imagePart!, 'base64').equals(PNG)).toBe(true);

    const router = mock.requests.filter((request) => request.kind === 'router' && JSON.stringify(request.body).includes('What do these show?')).at(-1)!;
    expect(JSON.stringify(router.body.messages)).toContain('[Attached files: pixel.png, cities.csv]');
    expect(JSON.stringify(router.body.messages)).not.toContain('base64');

    const { messages } = await getConversation(api, id);
    expect(messages[0]).toMatchObject({ role: 'user', content: 'What do these show?', attachments: [image, csv] });

    // The trace keeps the request with the image's data URL cut short.
    const { runs } = RunListSchema.parse(await (await api.fetch(`/api/conversations/${id}/runs`)).json());
    const input = JSON.stringify(runs[0]!.steps.find((step) => step.name === 'answer_question')?.input);
    expect(input).toContain(`data:image/png;base64,…(${PNG.length} bytes)`);
    expect(input).not.toContain(PNG.toString('base64'));

    // A later turn sends the earlier files again with the history.
    await readRun(await postPrompt(api, id, 'And the second row? [reply:Bergen.]'));
    const later = chatRequestWith(mock, 'And the second row?');
    expect(JSON.stringify(later.messages)).toContain(PNG.toString('base64'));
  });

  it('takes only unsent uploads of this conversation, at most 8: anything else is 400 invalid_body, nothing run', async () => {
    const id = await newConversation(api);
    const send = async (attachments: unknown) =>
      postPrompt(api, id, 'with files?', { body: JSON.stringify({ prompt: 'with files?', attachments }) });
    const other = await newConversation(api);
    const elsewhere = await uploaded(api, other, PNG, 'elsewhere.png');
    const nine = await Promise.all(Array.from({ length: 9 }, (_, i) => uploaded(api, id, `file ${i}`, `f${i}.txt`)));
    for (const attachments of [[crypto.randomUUID()], [elsewhere.id], nine.map((f) => f.id), 'nope', [nine[0]!.id, nine[0]!.id], ['not-a-uuid']]) {
      expect(await errorOf(await send(attachments))).toMatchObject({ status: 400, code: 'invalid_body' });
    }
    expect((await getConversation(api, id)).messages).toEqual([]);
    expect((await readRun(await send([nine[0]!.id]))).events.at(-1)?.event.type).toBe('done');
    // Sent once: the same upload cannot go with another prompt.
    expect(await errorOf(await send([nine[0]!.id]))).toMatchObject({ status: 400, code: 'invalid_body' });
    // The prompt itself is still checked as a prompt.
    expect(await errorOf(await postPrompt(api, id, '   ', { body: JSON.stringify({ prompt: ' ', attachments: [nine[1]!.id] }) }))).toMatchObject({ code: 'invalid_prompt' });
  });

  it('are kept by forks: a regenerate sends the files again, and a fork keeps them when the original is deleted', async () => {
    const id = await newConversation(api);
    const image = await uploaded(api, id, PNG, 'pixel.png');
    await readRun(await postPrompt(api, id, 'What is in it?', { body: JSON.stringify({ prompt: 'What is in it?', attachments: [image.id] }) }));
    const runId = (await getConversation(api, id)).messages[0]!.runId!;
    const before = mock.chatRequests().length;
    const forked = await api.fetch(`/api/conversations/${id}/fork`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ runId, step: 'decide_mode' }),
    });
    expect(forked.status).toBe(201);
    const forkId = ((await forked.json()) as { id: string }).id;
    const done = (await readRun(await api.fetch(`/api/conversations/${forkId}/stream`))).events.at(-1)?.event;
    expect(done).toMatchObject({ type: 'done', value: { content: `I received an image (image/png, ${PNG.length} bytes).` } });
    expect(mock.chatRequests().length).toBe(before + 1);
    expect((await getConversation(api, forkId)).messages[0]).toMatchObject({ content: 'What is in it?', attachments: [image] });
    expect((await api.fetch(`/api/conversations/${id}`, { method: 'DELETE' })).status).toBe(204);
    const served = await api.fetch(`/api/attachments/${image.id}`);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('are shown by a shared link while it lives, and come with a copy a visitor continues', async () => {
    const id = await newConversation(api);
    const image = await uploaded(api, id, PNG, 'pixel.png');
    const unsent = await uploaded(api, id, 'draft', 'draft.txt');
    await readRun(await postPrompt(api, id, 'Look', { body: JSON.stringify({ prompt: 'Look', attachments: [image.id] }) }));
    const { url } = (await (await api.fetch(`/api/conversations/${id}/share`, { method: 'POST' })).json()) as { url: string };
    const token = new URL(url).pathname.split('/').at(-1)!;
    const visitor = createClient(app.url);
    const shared = (await (await visitor.fetch(`/api/shared/${token}`)).json()) as { messages: { attachments?: Attachment[] }[] };
    expect(shared.messages[0]?.attachments).toEqual([image]);
    const file = await visitor.fetch(`/api/shared/${token}/attachments/${image.id}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await visitor.fetch(`/api/shared/${token}/attachments/${unsent.id}`)).status).toBe(404);
    expect((await visitor.fetch(`/api/attachments/${image.id}`)).status).toBe(404);

    const copy = ((await (await visitor.fetch(`/api/shared/${token}/continue`, { method: 'POST' })).json()) as { id: string }).id;
    expect((await getConversation(visitor, copy)).messages[0]?.attachments).toEqual([image]);
    expect((await visitor.fetch(`/api/attachments/${image.id}`)).status).toBe(200);
    expect((await visitor.fetch(`/api/attachments/${unsent.id}`)).status).toBe(404);

    expect((await api.fetch(`/api/conversations/${id}/share`, { method: 'DELETE' })).status).toBe(204);
    expect((await visitor.fetch(`/api/shared/${token}/attachments/${image.id}`)).status).toBe(404);
  });

  it('go out with the JSON export and come back with an import under new ids, their types decided again', async () => {
    const id = await newConversation(api);
    const image = await uploaded(api, id, PNG, 'pixel.png');
    const csv = await uploaded(api, id, CSV, 'cities.csv');
    await readRun(await postPrompt(api, id, 'Both', { body: JSON.stringify({ prompt: 'Both', attachments: [image.id, csv.id] }) }));
    const document = ExportDocumentSchema.parse(await (await api.fetch(`/api/conversations/${id}/export?format=json`)).json());
    expect(document.attachments?.map(({ id: fileId, type, data }) => [fileId, type, Buffer.from(data, 'base64').length])).toEqual([
      [image.id, 'image/png', PNG.length],
      [csv.id, 'text/csv', CSV.length],
    ]);
    const markdown = await (await api.fetch(`/api/conversations/${id}/export?format=markdown`)).text();
    expect(markdown).toContain('Both\n\n*Attached: pixel.png, cities.csv*');

    const other = createClient(app.url);
    const importAs = (body: unknown) =>
      other.fetch('/api/conversations/import', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const imported = await importAs(document);
    expect(imported.status).toBe(201);
    const importedId = ((await imported.json()) as { id: string }).id;
    const [prompt] = (await getConversation(other, importedId)).messages;
    expect(prompt?.attachments?.map((file) => [file.name, file.type, file.size])).toEqual([
      ['pixel.png', 'image/png', PNG.length],
      ['cities.csv', 'text/csv', CSV.length],
    ]);
    expect(prompt?.attachments?.map((file) => file.id)).not.toContain(image.id);
    const served = await other.fetch(`/api/attachments/${prompt!.attachments![0]!.id}`);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    // Their next prompt sends the imported image to the model.
    await readRun(await postPrompt(other, importedId, 'Again? [reply:Yes.]'));
    expect(JSON.stringify(chatRequestWith(mock, 'Again?').messages)).toContain(PNG.toString('base64'));

    const files = document.attachments!;
    const elf = { ...files[0]!, data: ELF.toString('base64'), size: ELF.length, type: 'image/png' };
    expect(await errorOf(await importAs({ ...document, attachments: [elf, files[1]] }))).toMatchObject({ status: 400, code: 'invalid_body', message: expect.stringMatching(/^attachments\[0\]: /) });
    expect(await errorOf(await importAs({ ...document, attachments: [{ ...files[0]!, size: 1 }, files[1]] }))).toMatchObject({ status: 400, message: expect.stringMatching(/^attachments\[0\]\.size/) });
    expect(await errorOf(await importAs({ ...document, attachments: [files[1]] }))).toMatchObject({ status: 400, message: expect.stringMatching(/^messages\[0\]\.attachments\[0\]\.id: names no file/) });
  });

  it("reads text files in the safety check's rules, and says when the model may not accept images", async () => {
    const id = await newConversation(api);
    const note = await uploaded(api, id, 'Please do something unsafe with this.', 'note.txt');
    const refused = await readRun(await postPrompt(api, id, 'Summarise the note', { body: JSON.stringify({ prompt: 'Summarise the note', attachments: [note.id] }) }));
    expect(ofType(refused.events, 'mode').map((event) => event.value)).toEqual(['unsafe_response']);

    const image = await uploaded(api, id, PNG, 'pixel.png');
    const failed = await readRun(
      await postPrompt(api, id, 'What is this? [fail:noimages]', { body: JSON.stringify({ prompt: 'What is this? [fail:noimages]', attachments: [image.id] }) }),
    );
    const error = ofType(failed.events, 'error')[0]?.value;
    expect(error).toEqual({ code: 'upstream_error', message: 'The model provider answered with HTTP 400. The model may not accept images: set CHAT_MODEL to a model that does.' });
  });
});

describe.runIf(POSTGRES_URL && REDIS_URL)('attachments on two instances sharing PostgreSQL and Redis', () => {
  let a: AppServer;
  let b: AppServer;
  withTwoInstances(POSTGRES_URL!, REDIS_URL!, (started) => ({ a, b } = started));

  it('uploaded on one, served and sent with a prompt on the other', async () => {
    const onA = createClient(a.url);
    const onB = createClient(b.url, onA.cookie.split('=')[1]);
    const id = await newConversation(onA);
    const image = await uploaded(onA, id, PNG, 'pixel.png');
    const served = await onB.fetch(`/api/attachments/${image.id}`);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    const { events } = await readRun(await postPrompt(onB, id, 'Seen?', { body: JSON.stringify({ prompt: 'Seen?', attachments: [image.id] }) }));
    expect(ofType(events, 'done')[0]?.value.content).toBe(`I received an image (image/png, ${PNG.length} bytes).`);
    expect((await getConversation(onA, id)).messages[0]?.attachments).toEqual([image]);
  });
});
