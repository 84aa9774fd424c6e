import { signInFailedPage, wantsPage } from '@/lib/auth/sign-in-failed-page';
import { AppError } from '@/lib/errors';
import { handle, methodNotAllowed } from '@/lib/http';
import { finishSignIn } from '@/lib/services/accounts';

export const dynamic = 'force-dynamic';

/** Where the provider sends the browser back: signed in, it goes on to the page it started from. */
export const GET = handle(async (request) => {
  try {
    const returnTo = await finishSignIn(request);
    return new Response(null, { status: 303, headers: { Location: returnTo, 'Cache-Control': 'no-store' } });
  } catch (error) {
    // A person in a browser gets a page that says what happened; an API client the usual JSON error.
    if (error instanceof AppError && error.code.startsWith('sign_in') && wantsPage(request)) return signInFailedPage(error);
    throw error;
  }
});

export const POST = methodNotAllowed(['GET']);
