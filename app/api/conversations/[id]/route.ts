import { RenameConversationBodySchema } from '@/lib/contract';
import { deleteConversation, getConversation, parseConversationId, renameConversation } from '@/lib/services/conversations';
import { handle, methodNotAllowed, readJsonBody } from '@/lib/http';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

export const GET = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  return Response.json(await getConversation(session, id));
});

export const DELETE = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  await deleteConversation(session, id);
  return new Response(null, { status: 204 });
});

export const PATCH = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const { title } = await readJsonBody(request, RenameConversationBodySchema, 'invalid_body');
  const session = await requireSession(request);
  return Response.json(await renameConversation(session, id, title));
});

export const POST = methodNotAllowed(['GET', 'PATCH', 'DELETE']);
export const PUT = POST;
