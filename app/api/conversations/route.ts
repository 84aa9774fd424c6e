import { CreateConversationBodySchema } from '@/lib/contract';
import { createConversation, findConversations, listConversations } from '@/lib/services/conversations';
import { handle, methodNotAllowed, readOptionalJsonBody } from '@/lib/http';
import { requireSession } from '@/lib/services/session';

export const dynamic = 'force-dynamic';

export const POST = handle(async (request) => {
  await readOptionalJsonBody(request, CreateConversationBodySchema, 'invalid_body');
  const session = await requireSession(request);
  const conversation = await createConversation(session);
  return Response.json({ id: conversation.id }, { status: 201, headers: { Location: `/api/conversations/${conversation.id}` } });
});

/** The list, or with `?q=` a search of it. */
export const GET = handle(async (request) => {
  const q = new URL(request.url).searchParams.get('q');
  const session = await requireSession(request);
  if (q !== null && q.trim() !== '') return Response.json({ conversations: await findConversations(session, q) });
  return Response.json({ conversations: await listConversations(session) });
});

export const PUT = methodNotAllowed(['GET', 'POST']);
export const PATCH = PUT;
export const DELETE = PUT;
