/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships wasm and data files it loads at run time; pg has optional native bindings.
  // Loading both from node_modules keeps them out of the bundler's way.
  serverExternalPackages: ['@electric-sql/pglite', 'pg'],
  poweredByHeader: false,
};

export default nextConfig;
