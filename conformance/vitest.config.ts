import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@paywire/source'] },
  ssr: { resolve: { conditions: ['@paywire/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['../vitest.setup.ts'],
    testTimeout: 60_000,
    // The files mostly wait on I/O (child processes, HTTP, the reference server's challenge
    // expiry): run them side by side even on a two-core machine.
    maxWorkers: 2,
  },
})
