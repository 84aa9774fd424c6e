import { AppError } from '@/lib/errors';
import { escapeHtml, plainPage } from '@/lib/plain-page';

/** Whether the request is a browser's page load (it takes HTML) rather than an API client's. */
function wantsPage(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * What a person sees when the provider sends them back and the sign-in cannot be completed: why, in a sentence,
 * a way to try again, and the way back to their chats (which are as they were).
 */
export function signInFailedPage(error: AppError): Response {
  return plainPage({
    title: 'Sign-in failed',
    heading: 'You are not signed in',
    paragraphs: [escapeHtml(error.message), 'Your chats are as you left them.', '<a href="/api/auth/signin/oidc">Sign in again</a> · <a href="/">Back to Sluice</a>'],
    status: error.status,
    headers: error.retryAfterS === undefined ? {} : { 'Retry-After': String(error.retryAfterS) },
  });
}

/**
 * For the sign-in routes a browser is sent to: a sign-in that cannot go on is a page for a person (who has no use for
 * JSON), and the usual JSON error for an API client.
 */
export function showingSignInErrors(handler: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await handler(request);
    } catch (error) {
      if (error instanceof AppError && error.code.startsWith('sign_in') && wantsPage(request)) return signInFailedPage(error);
      throw error;
    }
  };
}
