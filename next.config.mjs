/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships wasm and data files it loads at run time; pg has optional native bindings.
  // Loading both from node_modules keeps them out of the bundler's way.
  serverExternalPackages: ['@electric-sql/pglite', 'pg'],
  poweredByHeader: false,
  // On every response, API included; the page's Content-Security-Policy is set per request in proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};

export default nextConfig;
