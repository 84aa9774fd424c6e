import { handle, methodNotAllowed } from '@/lib/http';
import { requireSession } from '@/lib/services/session';
import { continueSharedConversation } from '@/lib/services/shares';

type Context = { params: Promise<{ token: string }> };

export const dynamic = 'force-dynamic';

/** "Continue this chat": a copy for the visitor, as a new conversation of theirs. */
export const POST = handle(async (request, { params }: Context) => {
  const { token } = await params;
  const session = await requireSession(request);
  const { id } = await continueSharedConversation(session, token);
  return Response.json({ id }, { status: 201, headers: { Location: `/api/conversations/${id}` } });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
