import { cancelRun } from '@/lib/agent/run-service';
import { parseConversationId } from '@/lib/conversations';
import { handle, methodNotAllowed } from '@/lib/http';
import { requireSession } from '@/lib/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

export const POST = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  const run = await cancelRun(id, session.owner);
  return Response.json({ runId: run.id, status: 'cancelling' }, { status: 202 });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
