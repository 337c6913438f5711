import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@paywire/source'] },
  ssr: { resolve: { conditions: ['@paywire/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['../vitest.setup.ts'],
    testTimeout: 60_000,
    // Snippets run as child processes: a few at a time, on machines shared with other work.
    maxConcurrency: 3,
    hookTimeout: 60_000,
  },
})
