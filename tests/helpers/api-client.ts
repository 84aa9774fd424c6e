import { ConversationSchema, CreatedConversationSchema, type StreamEvent } from '@/lib/contract';
import { readStreamEvents, type ReceivedEvent } from '@/lib/stream/read-sse';

export async function newConversation(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/conversations`, { method: 'POST' });
  if (response.status !== 201) throw new Error(`create conversation: ${response.status}`);
  return CreatedConversationSchema.parse(await response.json()).id;
}

export function postPrompt(baseUrl: string, id: string, prompt: unknown, init: RequestInit = {}) {
  return fetch(`${baseUrl}/api/conversations/${id}/messages`, {
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

export async function runPrompt(baseUrl: string, id: string, prompt: string) {
  const response = await postPrompt(baseUrl, id, prompt);
  if (response.status !== 200) throw new Error(`post prompt: ${response.status} ${await response.text()}`);
  return readRun(response);
}

export async function getConversation(baseUrl: string, id: string) {
  const response = await fetch(`${baseUrl}/api/conversations/${id}`);
  return ConversationSchema.parse(await response.json());
}

export const ofType = <T extends StreamEvent['type']>(events: ReceivedEvent[], type: T) =>
  events.map((e) => e.event).filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
