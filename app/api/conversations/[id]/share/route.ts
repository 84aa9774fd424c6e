import { handle, methodNotAllowed } from '@/lib/http';
import { parseConversationId } from '@/lib/services/conversations';
import { requireSession } from '@/lib/services/session';
import { publicOrigin, shareConversation, stopSharingConversation } from '@/lib/services/shares';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** Shares by link: 201 with the new link, 200 with the one it already has. */
export const POST = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  const { url, created } = await shareConversation(session, id, await publicOrigin(request.headers));
  return Response.json({ url }, { status: created ? 201 : 200 });
});

export const DELETE = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  await stopSharingConversation(session, id);
  return new Response(null, { status: 204 });
});

export const GET = methodNotAllowed(['POST', 'DELETE']);
export const PUT = GET;
export const PATCH = GET;
