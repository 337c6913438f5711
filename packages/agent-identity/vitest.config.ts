import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@paywire/source'] },
  ssr: { resolve: { conditions: ['@paywire/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['../../vitest.setup.ts'],
    testTimeout: 60_000,
  },
})
