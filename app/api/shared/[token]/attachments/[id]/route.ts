import { handle, methodNotAllowed } from '@/lib/http';
import { attachmentResponse, findSharedFile } from '@/lib/services/attachments';

type Context = { params: Promise<{ token: string; id: string }> };

export const dynamic = 'force-dynamic';

/** Anyone with the link: a file the shared conversation's messages show. */
export const GET = handle(async (_request, { params }: Context) => {
  const { token, id } = await params;
  const response = attachmentResponse(await findSharedFile(token, id));
  response.headers.set('X-Robots-Tag', 'noindex');
  // A stopped link stops its files at once: nothing kept to show later.
  response.headers.set('Cache-Control', 'no-store');
  return response;
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
