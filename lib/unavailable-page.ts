import { ERRORS } from '@/lib/errors';

const { message, retryAfterS = 5 } = ERRORS.store_unavailable;

/**
 * The page served instead of any other while the store cannot be reached (503, with Retry-After): it says so and
 * reloads itself when the wait is over. Plain HTML: the app's pages cannot be rendered without the store.
 */
export function storeUnavailablePage(): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${retryAfterS}">
<title>Unavailable · Sluice</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100dvh; display: grid; place-items: center; }
main { max-width: 32rem; padding: 1.5rem; }
@media (prefers-color-scheme: dark) { body { background: #1c1c1c; color: #eee; } a { color: #9cf; } }
</style>
</head>
<body>
<main>
<h1>Sluice can’t reach its database</h1>
<p>${message} Your conversations are kept; this page tries again by itself in ${retryAfterS} seconds.</p>
<p><a href="">Try again now</a></p>
</main>
</body>
</html>`;
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': String(retryAfterS), 'Cache-Control': 'no-store' },
  });
}
