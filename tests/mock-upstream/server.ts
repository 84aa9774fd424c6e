/**
 * A mock OpenAI-compatible server speaking the real wire format, for tests and benchmarks.
 *
 * Behaviour is steered by directives in the latest user message, so tests over HTTP can reach every path (a prompt
 * sent with files is answered with what was received, unless a directive says otherwise):
 *   [reply:some text]   stream exactly this text (otherwise a default answer per response prompt)
 *   [markdown:N]        stream N tokens of Markdown: headings, paragraphs, lists, code blocks and quotes in turn
 *   [router:garbage]    the router answers with unparseable text
 *   [router:MODE]       the router answers with MODE
 *   [fail:NNN]          answer the streamed chat request with HTTP NNN, e.g. 500 (the SDK retries 5xx, then gives up);
 *                       a 429 comes with Retry-After (and retry-after-ms, so tests need not wait a second)
 *   [fail:reset]        close the connection of the chat request before any response (a reset before headers)
 *   [fail:drop]         stream two deltas, then cut the connection (no end of stream)
 *   [fail:router500]    answer the router request with HTTP 500
 *   [fail:noimages]     answer a chat request that sends an image with HTTP 400, as a model without vision does
 *   [fail:malformed]    stream two deltas, then a chunk that is not JSON
 *   [fail:midstream]    stream two deltas, then an error chunk
 *   [stall]             send the role chunk, then nothing until the client leaves
 *   [stall:headers]     send the response headers, then nothing (not even the role chunk) until the client leaves
 *   [stall:N]           stream N content chunks, then nothing until the client leaves
 *   [slowrouter:N]      the router waits N ms before it answers (it gives up early if the client leaves)
 *   [slow:N]            N ms between content chunks (default 5)
 *   [nousage]           report no token usage (otherwise: a usage chunk when the request asks for it with
 *                       stream_options.include_usage, and `usage` on the router's answer; a token is a word)
 *   [flag]              the moderation endpoint flags the input
 *   [title:some text]   the title request is answered with exactly this text (otherwise the prompt, without its
 *                       directives, in quotes and with a period: what a title has to be cleaned of)
 *   [title:fail]        the title request is answered with HTTP 500
 *   [slowtitle:N]       the title request waits N ms before it answers
 *   [think:FORM]        reason before answering, in one of the forms servers send it: `reasoning_content` (DeepSeek,
 *                       vLLM, llama.cpp), `reasoning` (Ollama, OpenRouter) or `tags` (`<think>`...`</think>` at the start
 *                       of the content, cut into chunks of 1 to 5 characters so the tags split at every place)
 *   [thought:some text] what it reasons (otherwise a default sentence); counted in the usage's completion tokens
 *
 * A `pace` (benchmarks) sets what happens without directives: the answer's length and shape, the gap between its
 * tokens, and how long the router and the moderation endpoint take.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedRequest = {
  path: string;
  body: Record<string, unknown>;
  /** The request's headers (a `traceparent` among them, when the caller traces). */
  headers: Record<string, string | string[] | undefined>;
  kind: 'router' | 'title' | 'chat' | 'moderation' | 'other';
  /** True when the client closed the connection before the response finished. */
  closedByClient: boolean;
  /** When it did (Date.now()), for measuring how long a stop takes to reach the upstream. */
  closedAt?: number;
  finished: boolean;
};

export type MockUpstream = {
  baseURL: string;
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  close(): Promise<void>;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type Message = { role: string; content: string | ContentPart[] };

/** A message's text: its content, or its first text part (the prompt; the others are files). */
const textOf = (message: Message | undefined) =>
  typeof message?.content === 'string' ? message.content : (message?.content.find((part) => part.type === 'text') as { text: string } | undefined)?.text ?? '';

const lastUserMessage = (body: Record<string, unknown>) => [...((body.messages as Message[] | undefined) ?? [])].reverse().find((m) => m.role === 'user');

function lastUserText(body: Record<string, unknown>): string {
  return textOf(lastUserMessage(body));
}

function systemText(body: Record<string, unknown>): string {
  const messages = (body.messages as Message[] | undefined) ?? [];
  return textOf(messages.find((m) => m.role === 'system'));
}

/** What the latest prompt was sent with: each image (its type and size) and each text file (its first line). */
export function receivedFiles(body: Record<string, unknown>): { images: { type: string; bytes: number }[]; texts: string[] } {
  const content = lastUserMessage(body)?.content;
  const parts = Array.isArray(content) ? content.slice(1) : [];
  const images = parts.flatMap((part) => {
    if (part.type !== 'image_url') return [];
    const match = /^data:([^;]+);base64,(.*)$/s.exec(part.image_url.url);
    return match ? [{ type: match[1]!, bytes: Buffer.byteLength(match[2]!, 'base64') }] : [{ type: 'not a data URL', bytes: 0 }];
  });
  const texts = parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  return { images, texts };
}

/** The mock's answer to a prompt with files: what it received, so a test (or a person) sees the model was sent them. */
function describeFiles(body: Record<string, unknown>): string | null {
  const { images, texts } = receivedFiles(body);
  if (images.length === 0 && texts.length === 0) return null;
  const seen = [
    ...images.map((image) => `an image (${image.type}, ${image.bytes} bytes)`),
    ...texts.map((text) => `a text file (${text.split('\n')[0]})`),
  ];
  return `I received ${seen.join(' and ')}.`;
}

function directive(text: string, name: string): string | undefined {
  return new RegExp(`\\[${name}(?::([^\\]]*))?\\]`).exec(text)?.[1] ?? (text.includes(`[${name}]`) ? '' : undefined);
}

export function mockRouterMode(prompt: string): string {
  const forced = directive(prompt, 'router');
  if (forced !== undefined) return forced === 'garbage' ? 'no idea, sorry' : JSON.stringify({ mode: forced });
  let mode = 'prompt_for_more';
  if (/poem|haiku|limerick/i.test(prompt)) mode = 'generate_poem';
  else if (/code|function|script/i.test(prompt)) mode = 'generate_code';
  else if (/\?\s*$/.test(prompt.replace(/\[[^\]]*\]/g, '').trim())) mode = 'answer_question';
  return JSON.stringify({ mode });
}

/** The mock's title for a first prompt: the prompt without directives, in quotes, as a careless model writes it. */
export function mockTitle(prompt: string): string {
  const forced = directive(prompt, 'title');
  if (forced) return forced;
  return `"${prompt.replace(/\[[^\]]*\]/g, '').replace(/\s+/g, ' ').trim()}".`;
}

export type MockPace = {
  /** Answer with this many word-sized tokens instead of the default sentence. */
  replyTokens?: number;
  /** Plain words, or Markdown with headings, lists and fenced code (what a chat page has to render). */
  replyKind?: 'words' | 'markdown';
  tokenGapMs?: number;
  routerDelayMs?: number;
  moderationDelayMs?: number;
};

const MARKDOWN_BLOCKS = [
  '## Section heading\n\n',
  'A paragraph with **bold** words, `inline code` and a [link](https://example.com) that goes on for a while. ',
  '\n\n- a list item with some words\n- another item, *emphasised*\n\n',
  '```ts\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n```\n\n',
  '> a quoted line that a reader would skim\n\n',
];

/** `count` word-sized tokens of plain words or of Markdown. */
export function pacedReply(count: number, kind: MockPace['replyKind'] = 'words'): string {
  if (kind === 'words') return Array.from({ length: count }, (_, i) => `w${i}`).join(' ');
  const parts: string[] = [];
  let made = 0;
  for (let i = 0; made < count; i++) {
    const block = tokens(MARKDOWN_BLOCKS[i % MARKDOWN_BLOCKS.length]!);
    const taken = block.slice(0, count - made);
    parts.push(taken.join(''));
    made += taken.length;
  }
  return parts.join('');
}

export function mockReply(body: Record<string, unknown>, pace: MockPace = {}): string {
  const prompt = lastUserText(body);
  const forced = directive(prompt, 'reply');
  if (forced) return forced;
  const files = describeFiles(body);
  if (files) return files;
  const markdown = Number(directive(prompt, 'markdown'));
  if (markdown > 0) return pacedReply(markdown, 'markdown');
  if (pace.replyTokens) return pacedReply(pace.replyTokens, pace.replyKind);
  const system = systemText(body);
  if (/only code/i.test(system)) return '```js\nconsole.log("mock code");\n```';
  if (/poem/i.test(system)) return 'Roses from the mock,\nstreaming round the clock.';
  return 'This is the mock upstream answering your question, one token at a time.';
}

/** Word-sized tokens, as a model streams them (and as the bench counts them back). */
export function tokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/** The mock's token counts: words in, words out. */
export function mockUsage(body: Record<string, unknown>, output: string) {
  const messages = (body.messages as Message[] | undefined) ?? [];
  const promptTokens = messages.reduce((sum, m) => sum + tokens(textOf(m)).length, 0);
  const completionTokens = tokens(output).length;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

function chunkJson(id: string, model: string, delta: Record<string, unknown>, finish: string | null) {
  return JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
}

type Write = (res: ServerResponse, text: string, gapMs: number) => Promise<void>;

/** Writes SSE text in pieces that cut lines and events at odd places, as TCP may deliver them. */
const writeOddly: Write = async (res, text, gapMs) => {
  const sizes = [7, 23, 3, 41, 11];
  let offset = 0;
  let i = 0;
  while (offset < text.length && !res.destroyed) {
    const size = sizes[i++ % sizes.length] ?? 16;
    res.write(text.slice(offset, offset + size));
    offset += size;
    await sleep(gapMs);
  }
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** One write per event: what benchmarks use, since the odd splits' timer jitter would drown what they measure. */
const writeWhole: Write = async (res, text) => void res.write(text);

/** Waits `ms`, or less when the client leaves first; true when the client is still there. */
async function delayUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (ms > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      res.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return !res.destroyed;
}

export const DEFAULT_THOUGHT = 'The user wants an answer. Let me think it through step by step.';

/** What the mock reasons before its answer, and in which form, when the prompt asks for it. */
export function mockThought(prompt: string): { form: string; text: string } | null {
  const form = directive(prompt, 'think');
  if (form === undefined) return null;
  return { form: form || 'reasoning_content', text: directive(prompt, 'thought') || DEFAULT_THOUGHT };
}

/** Cuts text into pieces of 1 to 5 characters, so a tag in it is split at every place somewhere. */
function characterChunks(text: string): string[] {
  const chunks: string[] = [];
  for (let offset = 0, i = 0; offset < text.length; i++) {
    const size = (i % 5) + 1;
    chunks.push(text.slice(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function streamChat(res: ServerResponse, body: Record<string, unknown>, record: RecordedRequest, write: Write, pace: MockPace) {
  const prompt = lastUserText(body);
  const model = String(body.model ?? 'mock');
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const slow = directive(prompt, 'slow');
  const gapMs = slow ? Number(slow) : (pace.tokenGapMs ?? 5);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  const stall = directive(prompt, 'stall');
  const untilClientLeaves = () => new Promise<void>((resolve) => res.on('close', () => resolve()));
  if (stall === 'headers') return untilClientLeaves();

  await write(res, `data: ${chunkJson(id, model, { role: 'assistant', content: '' }, null)}\n\n`, 1);
  if (stall === '') return untilClientLeaves();
  const stallAfter = stall === undefined ? -1 : Number(stall);
  const reply = mockReply(body, pace);
  const thought = mockThought(prompt);
  // Reasoning in a field of its own comes first, in chunks whose content is null (DeepSeek) or empty (Ollama).
  if (thought && thought.form !== 'tags') {
    for (const token of tokens(thought.text)) {
      if (res.destroyed) return;
      const delta = { [thought.form]: token, content: thought.form === 'reasoning_content' ? null : '' };
      await write(res, `data: ${chunkJson(id, model, delta, null)}\n\n`, 0);
      await sleep(gapMs);
    }
  }
  const parts = thought?.form === 'tags' ? characterChunks(`<think>\n${thought.text}\n</think>\n\n${reply}`) : tokens(reply);
  const failAfterTwo = directive(prompt, 'fail');
  for (const [index, token] of parts.entries()) {
    if (res.destroyed) return;
    if (index === stallAfter) return untilClientLeaves();
    if (index === 2 && failAfterTwo === 'malformed') {
      await write(res, 'data: {"id": "broken", "choices": [{"delta": {"content": "oops"\n\n', 1);
      res.end();
      record.finished = true;
      return;
    }
    if (index === 2 && failAfterTwo === 'drop') {
      record.finished = true;
      res.socket?.destroy();
      return;
    }
    if (index === 2 && failAfterTwo === 'midstream') {
      await write(res, `data: ${JSON.stringify({ error: { message: 'mock overloaded', type: 'server_error' } })}\n\n`, 1);
      res.end();
      record.finished = true;
      return;
    }
    // Two content chunks sometimes share one write, as they can share one TCP segment.
    await write(res, `data: ${chunkJson(id, model, { content: token }, null)}\n\n`, 0);
    await sleep(gapMs);
  }
  const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const usage =
    wantsUsage && directive(prompt, 'nousage') === undefined
      ? `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: mockUsage(body, `${thought?.text ?? ''} ${reply}`) })}\n\n`
      : '';
  await write(res, `data: ${chunkJson(id, model, {}, 'stop')}\n\n${usage}data: [DONE]\n\n`, 1);
  res.end();
  record.finished = true;
}

export type MockUpstreamOptions = { port?: number; splitWrites?: boolean; pace?: MockPace };

export async function startMockUpstream({ port: listenPort = 0, splitWrites = true, pace = {} }: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const write: Write = splitWrites ? writeOddly : writeWhole;
  const requests: RecordedRequest[] = [];

  const server = createServer(async (req, res) => {
    res.socket?.setNoDelay(true);
    const path = (req.url ?? '').split('?')[0] ?? '';
    // Control endpoints, for tests in another process (Playwright) to see what the upstream was asked.
    if (path === '/__mock/health') return void res.end('ok');
    if (path === '/__mock/requests') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const summary = requests.map(({ kind, closedByClient, finished, body }) => ({
        kind,
        closedByClient,
        finished,
        prompt: lastUserText(body),
        files: receivedFiles(body),
      }));
      return void res.end(JSON.stringify(summary));
    }
    const body = req.method === 'POST' ? await readBody(req) : {};
    const kind: RecordedRequest['kind'] = path.endsWith('/chat/completions')
      ? body.stream
        ? 'chat'
        : /^Write a title/.test(systemText(body))
          ? 'title'
          : 'router'
      : path.endsWith('/moderations')
        ? 'moderation'
        : 'other';
    const record: RecordedRequest = { path, body, headers: req.headers, kind, closedByClient: false, finished: false };
    requests.push(record);
    res.on('close', () => {
      if (record.finished) return;
      record.closedByClient = true;
      record.closedAt = Date.now();
    });

    const prompt = lastUserText(body);
    const failWith = directive(prompt, 'fail');
    let failStatus = 0;
    if (kind === 'chat' && /^\d{3}$/.test(failWith ?? '')) failStatus = Number(failWith);
    if (kind === 'chat' && failWith === 'noimages' && receivedFiles(body).images.length > 0) failStatus = 400;
    if (kind === 'router' && failWith === 'router500') failStatus = 500;
    if (kind === 'title' && directive(prompt, 'title') === 'fail') failStatus = 500;
    if (kind === 'chat' && failWith === 'reset') {
      record.finished = true;
      req.socket.destroy();
      return;
    }
    if (failStatus) {
      const retryAfter = failStatus === 429 ? { 'Retry-After': '1', 'retry-after-ms': '20' } : {};
      res.writeHead(failStatus, { 'Content-Type': 'application/json', ...retryAfter });
      res.end(JSON.stringify({ error: { message: 'mock upstream failure', type: 'server_error' } }));
      record.finished = true;
      return;
    }
    if (kind === 'chat') return streamChat(res, body, record, write, pace);
    if (kind === 'router' || kind === 'title') {
      const delay =
        kind === 'router' ? Number(directive(prompt, 'slowrouter') ?? pace.routerDelayMs ?? 0) : Number(directive(prompt, 'slowtitle') ?? 0);
      if (!(await delayUnlessClosed(res, delay)) || record.closedByClient) return;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const content = kind === 'router' ? mockRouterMode(prompt) : mockTitle(prompt);
      res.end(
        JSON.stringify({
          id: 'chatcmpl-router',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: String(body.model ?? 'mock'),
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          ...(directive(prompt, 'nousage') === undefined ? { usage: mockUsage(body, content) } : {}),
        }),
      );
      record.finished = true;
      return;
    }
    if (kind === 'moderation') {
      const input = String(body.input ?? '');
      if (!(await delayUnlessClosed(res, pace.moderationDelayMs ?? 0)) || record.closedByClient) return;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'modr-mock',
          model: 'omni-moderation-latest',
          results: [{ flagged: input.includes('[flag]'), categories: {}, category_scores: {} }],
        }),
      );
      record.finished = true;
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found' } }));
    record.finished = true;
  });

  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.kind === 'chat'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
