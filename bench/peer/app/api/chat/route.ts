import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import { upstream } from '../../upstream';

let provider: ReturnType<typeof createOpenAICompatible> | undefined;

export const dynamic = 'force-dynamic';

/** The AI SDK's usual route: one model call, streamed to the browser as a UI message stream. */
export async function POST(request: Request) {
  const { prompt } = (await request.json()) as { prompt: string };
  const { OPENAI_BASE_URL, CHAT_MODEL } = upstream();
  provider ??= createOpenAICompatible({ name: 'upstream', baseURL: OPENAI_BASE_URL, apiKey: 'bench' });
  const result = streamText({ model: provider.chatModel(CHAT_MODEL), prompt });
  return result.toUIMessageStreamResponse();
}
