import { handle, methodNotAllowed } from '@/lib/http';
import { attachmentResponse, findAttachment } from '@/lib/services/attachments';
import { requireSession } from '@/lib/services/session';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** The file's bytes, to the owner of a conversation that holds it. */
export const GET = handle(async (request, { params }: Context) => {
  const { id } = await params;
  const session = await requireSession(request);
  return attachmentResponse(await findAttachment(session, id));
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
