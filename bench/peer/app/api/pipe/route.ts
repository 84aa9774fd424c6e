import { upstream } from '../../upstream';

export const dynamic = 'force-dynamic';

/** What Next.js itself costs: the upstream's bytes passed through untouched. */
export async function POST(request: Request) {
  const { prompt } = (await request.json()) as { prompt: string };
  const { OPENAI_BASE_URL, CHAT_MODEL } = upstream();
  const response = await fetch(`${OPENAI_BASE_URL}/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer bench' },
    body: JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: prompt }] }),
    signal: request.signal,
  });
  return new Response(response.body, {
    status: response.status,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform' },
  });
}
