import { showingSignInErrors } from '@/lib/auth/sign-in-failed-page';
import { handle, methodNotAllowed } from '@/lib/http';
import { finishSignIn } from '@/lib/services/accounts';

export const dynamic = 'force-dynamic';

/** Where the provider sends the browser back: signed in, it goes on to the page it started from. */
export const GET = handle(
  showingSignInErrors(async (request) => {
    const returnTo = await finishSignIn(request);
    return new Response(null, { status: 303, headers: { Location: returnTo, 'Cache-Control': 'no-store' } });
  }),
);

export const POST = methodNotAllowed(['GET']);
