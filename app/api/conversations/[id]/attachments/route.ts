import { handle, methodNotAllowed } from '@/lib/http';
import { uploadAttachment } from '@/lib/services/attachments';
import { parseConversationId } from '@/lib/services/conversations';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** Uploads one file (`multipart/form-data`, field `file`) to go with a later prompt of this conversation. */
export const POST = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const session = await requireSession(request);
  return Response.json(await uploadAttachment(session, id, request), { status: 201 });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
