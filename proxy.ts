import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, createNonce } from '@/lib/content-security-policy';
import { storeAnswers } from '@/lib/services/health';
import { storeUnavailablePage } from '@/lib/unavailable-page';

/**
 * Every page gets a Content-Security-Policy with a nonce of its own. Next.js reads the policy from the request
 * to put the nonce on the scripts it renders, and the browser reads it from the response.
 *
 * A page is only rendered when the store answers: a page cannot set its own status, and one that failed on the
 * store would be a 500 (or look like a missing conversation); this says 503 and why.
 */
export async function proxy(request: NextRequest) {
  if (!(await storeAnswers())) return storeUnavailablePage();
  const policy = contentSecurityPolicy(createNonce());
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  // Pages only: API responses are JSON or event streams, and static files carry no script.
  matcher: [
    {
      source: '/((?!api/|_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
