import { ExportDocumentSchema } from '@/lib/contract';
import { handle, methodNotAllowed, readJsonBody } from '@/lib/http';
import { requireSession } from '@/lib/services/session';
import { importConversation, maxImportBytes } from '@/lib/services/transfer';

export const dynamic = 'force-dynamic';

/** A document `.../export?format=json` gave, as a new conversation of the caller's: 201, or 400 saying what is wrong. */
export const POST = handle(async (request) => {
  const document = await readJsonBody(request, ExportDocumentSchema, 'invalid_body', await maxImportBytes());
  const session = await requireSession(request);
  const { id } = await importConversation(session, document);
  return Response.json({ id }, { status: 201, headers: { Location: `/api/conversations/${id}` } });
});

export const GET = methodNotAllowed(['POST']);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
