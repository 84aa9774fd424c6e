import { startRun } from '@/lib/agent/start-run';
import { PostMessageBodySchema } from '@/lib/contract';
import { getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { handle, methodNotAllowed, readJsonBody } from '@/lib/http';
import { getAppProcess } from '@/lib/services/app-process';
import { parseConversationId } from '@/lib/services/conversations';
import { requireSession } from '@/lib/services/session';
import { sseResponse } from '@/lib/stream/sse';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

export const POST = handle(async (request, { params }: Context) => {
  const env = getEnv();
  // A prompt that is not one is `invalid_prompt`; files that are not uploads, `invalid_body`.
  const { prompt, attachments } = await readJsonBody(request, PostMessageBodySchema, ([field]) => (field === 'attachments' ? 'invalid_body' : 'invalid_prompt'));
  if (Buffer.byteLength(prompt, 'utf8') > env.MAX_PROMPT_BYTES) {
    throw new AppError('prompt_too_large', `The prompt is larger than ${env.MAX_PROMPT_BYTES} bytes.`);
  }
  const conversationId = parseConversationId((await params).id);
  const session = await requireSession(request);
  const run = await startRun((await getAppProcess()).runs, conversationId, session.owner, prompt, { attachments });
  // The response is only the run's first reader: leaving it does not stop the run.
  return sseResponse(run.log, { pingIntervalMs: env.SSE_PING_INTERVAL_MS });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
