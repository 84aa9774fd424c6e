import { CreatedConversationSchema, ErrorBodySchema, type ForkBody } from '@/lib/contract';

/** Asks the server for a fork of the conversation; resolves with the new conversation's id. */
export async function requestFork(conversationId: string, body: ForkBody): Promise<string> {
  const response = await fetch(`/api/conversations/${conversationId}/fork`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await response.json().catch(() => null);
  if (response.status !== 201) {
    const error = ErrorBodySchema.safeParse(json);
    throw new Error(error.success ? error.data.error.message : `The server answered HTTP ${response.status}.`);
  }
  return CreatedConversationSchema.parse(json).id;
}
