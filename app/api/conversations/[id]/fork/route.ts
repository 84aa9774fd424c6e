import { forkConversation } from '@/lib/agent/fork-run';
import { ForkBodySchema } from '@/lib/contract';
import { getAppProcess } from '@/lib/services/app-process';
import { parseConversationId } from '@/lib/services/conversations';
import { handle, methodNotAllowed, readJsonBody } from '@/lib/http';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** A new conversation from a step of one of this conversation's runs; a continuation runs on in the background. */
export const POST = handle(async (request, { params }: Context) => {
  const body = await readJsonBody(request, ForkBodySchema, 'invalid_body');
  const conversationId = parseConversationId((await params).id);
  const session = await requireSession(request);
  const { id } = await forkConversation((await getAppProcess()).runs, conversationId, session.owner, body);
  return Response.json({ id }, { status: 201, headers: { Location: `/api/conversations/${id}` } });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
