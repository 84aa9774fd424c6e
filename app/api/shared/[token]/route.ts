import { handle, methodNotAllowed } from '@/lib/http';
import { readSharedConversation } from '@/lib/services/shares';

type Context = { params: Promise<{ token: string }> };

export const dynamic = 'force-dynamic';

/** Anyone with the link, signed in or not: the conversation as it is now. */
export const GET = handle(async (_request, { params }: Context) => {
  const shared = await readSharedConversation((await params).token);
  return Response.json(shared, { headers: { 'X-Robots-Tag': 'noindex', 'Cache-Control': 'no-store' } });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
