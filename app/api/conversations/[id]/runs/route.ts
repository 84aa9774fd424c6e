import { getRunTraces, parseConversationId } from '@/lib/services/conversations';
import { handle, methodNotAllowed } from '@/lib/http';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** The conversation's runs, newest first, each with its steps: what went upstream, what came back, when. */
export const GET = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  return Response.json({ runs: await getRunTraces(session, id) });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
