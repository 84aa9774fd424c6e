/**
 * A page of plain HTML, for the moments the app's own pages cannot be rendered (the store is away) or are not
 * the place (a sign-in that failed on its way back from the provider). Light and dark follow the system.
 */
export function plainPage(page: { title: string; heading: string; paragraphs: string[]; status: number; headers?: Record<string, string>; refreshS?: number }): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.refreshS === undefined ? '' : `<meta http-equiv="refresh" content="${page.refreshS}">\n`}<title>${page.title} · Sluice</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100dvh; display: grid; place-items: center; }
main { max-width: 32rem; padding: 1.5rem; }
@media (prefers-color-scheme: dark) { body { background: #1c1c1c; color: #eee; } a { color: #9cf; } }
</style>
</head>
<body>
<main>
<h1>${page.heading}</h1>
${page.paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('\n')}
</main>
</body>
</html>`;
  return new Response(html, {
    status: page.status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...page.headers },
  });
}

/** Text put into a plain page's HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
