import * as z from 'zod/mini';
import type { ProductCatalog } from '../../domain/product/catalog.js';
import '../validation/messages.js';

/** One product of the catalog; the CDK config checks its `products` with this same schema. */
export const productSchema = z.object({
  productCode: z.string().check(z.regex(/^[-a-zA-Z0-9/=:_.@]{1,255}$/, 'a marketplace product code')),
  productId: z.optional(
    z.string().check(z.regex(/^prod-[a-zA-Z0-9]+$/, 'a catalog product id like prod-abc123')),
  ),
  creditsPerUnit: z.optional(
    z.record(z.string().check(z.minLength(1), z.maxLength(255)), z.number().check(z.positive())),
  ),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  services: z.optional(
    z.record(
      z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service id like endpoint-security')),
      z.object({
        name: z.string().check(z.minLength(1), z.maxLength(100)),
        unit: z.string().check(z.minLength(1), z.maxLength(40)),
        creditsPerUnit: z.number().check(z.int(), z.positive(), z.lte(1_000_000)),
      }),
    ),
  ),
  orderConflict: z.optional(z.enum(['overlapping-term', 'same-service', 'none'])),
});

const catalogSchema = z.array(productSchema).check(
  z.minLength(1, 'at least one product'),
  z.refine((products) => {
    const ids = products.flatMap((p) => Object.keys(p.services ?? {}));
    return new Set(ids).size === ids.length;
  }, 'service ids must be unique across products'),
);

/**
 * Reads the product catalog from its JSON text (the PRODUCTS environment variable, written by
 * the CDK app from its config). A wrong value fails at start with a message naming the field.
 */
export function parseProductCatalog(json: string | undefined, source = 'PRODUCTS'): ProductCatalog {
  if (!json)
    throw new Error(`${source} is not set: give the products as JSON, e.g. [{"productCode":"abc123"}]`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
  const result = catalogSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${source}[${i.path.join('.')}]: ${i.message}`)
      .join('; ');
    throw new Error(`Invalid product configuration: ${problems}`);
  }
  return { products: result.data };
}
