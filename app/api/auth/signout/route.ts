import { handle, methodNotAllowed } from '@/lib/http';
import { signOut } from '@/lib/services/accounts';

export const dynamic = 'force-dynamic';

/** Signs out (a form's POST from the sidebar, or a client's): back to a new chat as a new anonymous session. */
export const POST = handle(async (request) => {
  await signOut(request);
  return new Response(null, { status: 303, headers: { Location: '/', 'Cache-Control': 'no-store' } });
});

export const GET = methodNotAllowed(['POST']);
