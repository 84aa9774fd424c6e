import { cancelRun } from '@/lib/agent/run-lookup';
import { getAppProcess } from '@/lib/services/app-process';
import { parseConversationId } from '@/lib/services/conversations';
import { handle, methodNotAllowed } from '@/lib/http';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

export const POST = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  const run = await cancelRun((await getAppProcess()).runs, id, session.owner);
  return Response.json({ runId: run.id, status: 'cancelling' }, { status: 202 });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
