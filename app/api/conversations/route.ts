import { CreateConversationBodySchema } from '@/lib/contract';
import { createConversation, listConversations } from '@/lib/conversations';
import { handle, methodNotAllowed, readOptionalJsonBody } from '@/lib/http';

export const dynamic = 'force-dynamic';

export const POST = handle(async (request) => {
  await readOptionalJsonBody(request, CreateConversationBodySchema, 'invalid_body');
  const conversation = await createConversation();
  return Response.json({ id: conversation.id }, { status: 201, headers: { Location: `/api/conversations/${conversation.id}` } });
});

export const GET = handle(async () => Response.json({ conversations: await listConversations() }));

export const PUT = methodNotAllowed(['GET', 'POST']);
export const PATCH = PUT;
export const DELETE = PUT;
