import { ExportFormatSchema } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import { handle, methodNotAllowed } from '@/lib/http';
import { parseConversationId } from '@/lib/services/conversations';
import { requireSession } from '@/lib/services/session';
import { exportConversation } from '@/lib/services/transfer';

type Context = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

/** `?format=markdown` or `?format=json`: the conversation as a file to download. */
export const GET = handle(async (request, { params }: Context) => {
  const id = parseConversationId((await params).id);
  const format = ExportFormatSchema.safeParse(new URL(request.url).searchParams.get('format'));
  if (!format.success) throw new AppError('invalid_query', format.error.issues[0]?.message);
  const session = await requireSession(request);
  const file = await exportConversation(session, id, format.data);
  return new Response(file.body, {
    headers: { 'Content-Type': file.contentType, 'Content-Disposition': file.disposition, 'Cache-Control': 'private, no-store' },
  });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
