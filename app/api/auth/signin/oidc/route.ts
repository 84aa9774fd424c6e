import { showingSignInErrors } from '@/lib/auth/sign-in-failed-page';
import { handle, methodNotAllowed } from '@/lib/http';
import { beginSignIn } from '@/lib/services/accounts';

export const dynamic = 'force-dynamic';

/** Sends the browser to the provider's sign-in page (`?returnTo=/c/...` to come back to a page). */
export const GET = handle(
  showingSignInErrors(async (request) => {
    const url = await beginSignIn(request);
    return new Response(null, { status: 302, headers: { Location: url.href, 'Cache-Control': 'no-store' } });
  }),
);

export const POST = methodNotAllowed(['GET']);
