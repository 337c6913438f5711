// The `x-service-info` OpenAPI extension (draft-payment-discovery §"Service Extension:
// x-service-info", appendix "JSON Schema for x-service-info"): categories and
// documentation links of the service as a whole.
import { z } from 'zod'

/**
 * The name of the extension member at the top of the document.
 * @example
 * ```ts
 * import { ServiceInfo } from '@paywire/discovery'
 * ServiceInfo.extension // 'x-service-info'
 * ```
 */
export const extension = 'x-service-info'

/**
 * The starting vocabulary of categories the draft recommends.
 * @example
 * ```ts
 * import { ServiceInfo } from '@paywire/discovery'
 * ServiceInfo.categories.includes('search') // true
 * ```
 */
export const categories = [
  'communication',
  'compute',
  'data',
  'developer-tools',
  'media',
  'search',
  'social',
  'storage',
  'travel',
] as const

const uri = z.url({ message: 'expected an absolute URI (RFC 3986)' }).meta({ format: 'uri' })

/**
 * The `x-service-info` value. Unknown members are kept.
 * @example
 * ```ts
 * import { ServiceInfo } from '@paywire/discovery'
 * ServiceInfo.schema.parse({ categories: ['data'], docs: { llms: 'https://api.example.com/llms.txt' } })
 * ```
 */
export const schema = z
  .object({
    categories: z
      .array(z.string())
      .optional()
      .meta({ description: 'Free-form categories; lowercase, hyphenated, at most 5 advised.' }),
    docs: z
      .object({
        apiReference: uri.optional(),
        homepage: uri.optional(),
        llms: uri.optional(),
      })
      .optional(),
  })
  .meta({ title: 'x-service-info', description: 'draft-payment-discovery §4.3' })

/**
 * An `x-service-info` value.
 * @example
 * ```ts
 * import type { ServiceInfo } from '@paywire/discovery'
 * const info: ServiceInfo.ServiceInfo = { categories: ['compute'] }
 * ```
 */
export type ServiceInfo = z.infer<typeof schema>

/**
 * The categories of a service that a client knows, in order: unknown values are ignored
 * (`known` defaults to {@link categories}).
 *
 * @example
 * ```ts
 * import { ServiceInfo } from '@paywire/discovery'
 * ServiceInfo.knownCategories({ categories: ['compute', 'quantum-vibes'] }) // ['compute']
 * ```
 */
export function knownCategories(
  info: ServiceInfo,
  known: readonly string[] = categories,
): string[] {
  return (info.categories ?? []).filter((category) => known.includes(category))
}
