import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@paywire/source'] },
  ssr: { resolve: { conditions: ['@paywire/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
})
