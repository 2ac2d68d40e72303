import { defineConfig } from 'vitest/config';

// The container image test: run by `npm run test:image` (scripts/image/test.sh builds the image
// first), never by the default `vitest run`, which excludes this folder.
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
