/**
 * How each system is read from the client's side. Every reader returns the same record: when the request left,
 * when each token arrived, and the text, so that every system is timed and checked the same way.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import OpenAI from 'openai';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { createClient, newConversation, postPrompt } from '../../tests/helpers/api-client';
import { tokens } from '../../tests/mock-upstream/server';

export type StreamTiming = {
  /** performance.now() when the request was sent. */
  start: number;
  /** performance.now() at which each token arrived (a piece of several tokens counts each at its arrival). */
  tokenTimes: number[];
  text: string;
  /** A transport or protocol failure; a wrong text is judged by the caller. */
  error?: string;
};

/** A stream ready to go: anything that is not part of the timed request (a session, a conversation) is done. */
export type PreparedStream = () => Promise<StreamTiming>;

/** What a system serves: `prepare` readies `count` streams of the prompt, to start together. */
export type StreamSource = { prepare: (count: number, prompt: string) => Promise<PreparedStream[]> };


class Timing {
  readonly start = performance.now();
  readonly tokenTimes: number[] = [];
  text = '';

  add(piece: string) {
    if (!piece) return;
    const at = performance.now();
    this.text += piece;
    // Count the tokens the text now holds: a word cut across two pieces counts once, when it completes.
    const total = tokens(this.text).length;
    while (this.tokenTimes.length < total) this.tokenTimes.push(at);
  }

  result(error?: unknown): StreamTiming {
    return { start: this.start, tokenTimes: this.tokenTimes, text: this.text, ...(error ? { error: String(error) } : {}) };
  }
}

async function timed(read: (timing: Timing) => Promise<void>): Promise<StreamTiming> {
  const timing = new Timing();
  try {
    await read(timing);
    return timing.result();
  } catch (error) {
    // `fetch failed` says little: the cause (a reset, a refused connection, a timeout) says why.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const message = error instanceof Error ? error.message : String(error);
    return timing.result(cause ? `${message} (${cause.code ?? cause.message})` : message);
  }
}

/** The floor: the same upstream calls made straight from the SDK, nothing in between. */
export function floorSource(baseURL: string, calls: 'agent' | 'answer'): StreamSource {
  const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0 });
  const stream = (prompt: string) =>
    timed(async (timing) => {
      if (calls === 'agent') {
        // What the agent needs before it answers: the safety check and the mode decision, side by side.
        await Promise.all([
          client.moderations.create({ model: 'omni-moderation-latest', input: prompt }),
          client.chat.completions.create({
            model: 'mock-router',
            messages: [{ role: 'user', content: prompt }],
            response_format: { type: 'json_object' },
          }),
        ]);
      }
      const answer = await client.chat.completions.create({ model: 'mock-chat', messages: [{ role: 'user', content: prompt }], stream: true });
      for await (const chunk of answer) timing.add(chunk.choices[0]?.delta?.content ?? '');
    });
  return { prepare: async (count, prompt) => Array.from({ length: count }, () => () => stream(prompt)) };
}

/**
 * Sluice: a visitor of its own per stream (one session's rate limit is not the subject), a new conversation each.
 * Given several instances, the streams take turns among them, as a load balancer would deal them out.
 */
export function sluiceSource(...urls: [string, ...string[]]): StreamSource {
  return {
    async prepare(count, prompt) {
      const visitors = Array.from({ length: count }, (_, n) => createClient(urls[n % urls.length]!));
      const ids = await Promise.all(visitors.map((visitor) => newConversation(visitor)));
      return ids.map((id, n) => () =>
        timed(async (timing) => {
          const response = await postPrompt(visitors[n]!, id, prompt);
          if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}`);
          let done = false;
          for await (const { event } of readStreamEvents(response.body)) {
            if (event.type === 'delta') timing.add(event.value);
            if (event.type === 'error') throw new Error(event.value.code);
            if (event.type === 'done') done = true;
          }
          if (!done) throw new Error('the stream ended without done');
        }),
      );
    },
  };
}

/** Reads an SSE body with a maintained parser, handing each event's data on; `[DONE]` ends it. */
async function readSseData(response: Response, onData: (data: string) => void) {
  if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}`);
  const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  let finished = false;
  for (let next = await events.read(); !next.done; next = await events.read()) {
    if (next.value.data === '[DONE]') finished = true;
    else onData(next.value.data);
  }
  if (!finished) throw new Error('the stream ended without [DONE]');
}

const post = (url: string, prompt: string) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt }) });

/** The AI SDK peer: `streamText` served as a UI message stream; text arrives as `text-delta` parts. */
export function peerSource(url: string): StreamSource {
  const stream = (prompt: string) =>
    timed(async (timing) => {
      await readSseData(await post(`${url}/api/chat`, prompt), (data) => {
        const part = JSON.parse(data) as { type: string; delta?: string; errorText?: string };
        if (part.type === 'text-delta') timing.add(part.delta ?? '');
        if (part.type === 'error') throw new Error(part.errorText ?? 'error part');
      });
    });
  return { prepare: async (count, prompt) => Array.from({ length: count }, () => () => stream(prompt)) };
}

/** The bare pipe: the upstream's own chat completion chunks, passed through by a Next.js route. */
export function pipeSource(url: string): StreamSource {
  const stream = (prompt: string) =>
    timed(async (timing) => {
      await readSseData(await post(`${url}/api/pipe`, prompt), (data) => {
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
        timing.add(chunk.choices?.[0]?.delta?.content ?? '');
      });
    });
  return { prepare: async (count, prompt) => Array.from({ length: count }, () => () => stream(prompt)) };
}
