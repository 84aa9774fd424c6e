import { fileURLToPath } from 'node:url';
import tsconfigPaths from 'vite-tsconfig-paths';
import { defineConfig } from 'vitest/config';

// `server-only` throws outside a React Server environment; under vitest it is an empty module.
const serverOnlyStub = fileURLToPath(new URL('./tests/helpers/server-only-stub.ts', import.meta.url));

export default defineConfig({
  plugins: [tsconfigPaths()],
  resolve: { alias: { 'server-only': serverOnlyStub } },
  test: {
    // PGlite's first open of a data dir takes ~5 s; the app server takes a few more to start.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts', 'tests/store/**/*.test.ts'] },
      },
      {
        extends: true,
        // API tests talk to the built app over HTTP; `npm test` builds it first.
        test: { name: 'api', include: ['tests/api/**/*.test.ts']},
      },
    ],
  },
});
