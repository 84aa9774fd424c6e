import { randomBytes } from 'node:crypto';
import { ConversationSchema, CreatedConversationSchema, type StreamEvent } from '@/lib/contract';
import { readStreamEvents, type ReceivedEvent } from '@/lib/stream/read-sse';

export const SESSION_COOKIE = 'sluice_session';

/** One visitor of the app: every request carries the same session cookie, as a browser's would. */
export type ApiClient = {
  url: string;
  /** `sluice_session=<token>`, for requests made some other way (EventSource, a browser context). */
  cookie: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
};

/** A new visitor (a session token of its own, in the format the app issues), or the one whose token is given. */
export function createClient(url: string, token = randomBytes(32).toString('base64url')): ApiClient {
  const cookie = `${SESSION_COOKIE}=${token}`;
  return {
    url,
    cookie,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('cookie')) headers.set('cookie', cookie);
      return fetch(`${url}${path}`, { ...init, headers });
    },
  };
}

export async function newConversation(client: ApiClient): Promise<string> {
  const response = await client.fetch('/api/conversations', { method: 'POST' });
  if (response.status !== 201) throw new Error(`create conversation: ${response.status}`);
  return CreatedConversationSchema.parse(await response.json()).id;
}

export function postPrompt(client: ApiClient, id: string, prompt: unknown, init: RequestInit = {}) {
  return client.fetch(`/api/conversations/${id}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt }),
    ...init,
  });
}

/** Reads a whole run, with the comments (pings) in between. */
export async function readRun(response: Response) {
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  for await (const received of readStreamEvents(response.body!, { onComment: (c) => comments.push(c.trim()) })) {
    events.push(received);
  }
  return { events, comments };
}

export async function runPrompt(client: ApiClient, id: string, prompt: string) {
  const response = await postPrompt(client, id, prompt);
  if (response.status !== 200) throw new Error(`post prompt: ${response.status} ${await response.text()}`);
  return readRun(response);
}

export async function getConversation(client: ApiClient, id: string) {
  const response = await client.fetch(`/api/conversations/${id}`);
  return ConversationSchema.parse(await response.json());
}

export const ofType = <T extends StreamEvent['type']>(events: ReceivedEvent[], type: T) =>
  events.map((e) => e.event).filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
