import { findRun } from '@/lib/agent/run-lookup';
import { getEnv } from '@/lib/env';
import { handle, methodNotAllowed } from '@/lib/http';
import { getAppProcess } from '@/lib/services/app-process';
import { parseConversationId } from '@/lib/services/conversations';
import { requireSession } from '@/lib/services/session';
import { parseLastEventId, sseResponse } from '@/lib/stream/sse';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** The running run's events, replayed and then followed live; 204 when nothing runs (EventSource stops there). */
export const GET = handle(async (request, { params }: Context) => {
  const conversationId = parseConversationId((await params).id);
  const afterId = parseLastEventId(request.headers.get('last-event-id'));
  const session = await requireSession(request);
  const run = await findRun((await getAppProcess()).runs, conversationId, session.owner);
  if (!run) return new Response(null, { status: 204 });
  return sseResponse(run.log, { afterId, pingIntervalMs: getEnv().SSE_PING_INTERVAL_MS });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
