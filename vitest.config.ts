import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests bind real loopback sockets and measure rates: keep files from
    // competing for the machine's two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
