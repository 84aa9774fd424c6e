/**
 * The page's Content-Security-Policy: scripts only with this response's nonce (Next.js puts it on its own
 * scripts), nothing framed, nothing posted or loaded from elsewhere. Styles allow inline attributes: the Markdown
 * renderer's code highlighting sets colours with `style` attributes, which nonces cannot cover.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    // The code highlighter's worker, a script of our own (with 'strict-dynamic', script-src alone would refuse it).
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A fresh nonce for every page response: 128 random bits. */
export function createNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}
