import path from 'node:path';

/** A separate app: its own root, so Next.js does not take the Sluice repository for its workspace. */
const nextConfig = {
  turbopack: { root: path.resolve(import.meta.dirname) },
  outputFileTracingRoot: path.resolve(import.meta.dirname),
};

export default nextConfig;
