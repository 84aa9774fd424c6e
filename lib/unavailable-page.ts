import { ERRORS } from '@/lib/errors';
import { plainPage } from '@/lib/plain-page';

const { message, retryAfterS = 5 } = ERRORS.store_unavailable;

/**
 * The page served instead of any other while the store cannot be reached (503, with Retry-After): it says so and
 * reloads itself when the wait is over. Plain HTML: the app's pages cannot be rendered without the store.
 */
export function storeUnavailablePage(): Response {
  return plainPage({
    title: 'Unavailable',
    heading: 'Sluice can’t reach its database',
    paragraphs: [`${message} Your conversations are kept; this page tries again by itself in ${retryAfterS} seconds.`, '<a href="">Try again now</a>'],
    status: 503,
    headers: { 'Retry-After': String(retryAfterS) },
    refreshS: retryAfterS,
  });
}
