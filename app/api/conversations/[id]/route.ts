import { deleteConversation, getConversation, parseConversationId } from '@/lib/conversations';
import { handle, methodNotAllowed } from '@/lib/http';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

export const GET = handle(async (_request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  return Response.json(await getConversation(id));
});

export const DELETE = handle(async (_request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  await deleteConversation(id);
  return new Response(null, { status: 204 });
});

export const POST = methodNotAllowed(['GET', 'DELETE']);
export const PUT = POST;
export const PATCH = POST;
