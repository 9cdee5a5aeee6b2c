/**
 * The products this deployment sells and how their marketplace dimensions turn into credits.
 */
export interface ProductConfig {
  /** The marketplace product code (GetEntitlements `ProductCode`). */
  readonly productCode: string;
  /** The catalog product id (`prod-…`) that EventBridge agreement events carry instead of the code. */
  readonly productId?: string;
  /**
   * Credits per unit for each credit dimension. Absent: every dimension counts one credit per
   * unit. Present: only the listed dimensions carry credits; others are recorded, worth nothing.
   */
  readonly creditsPerUnit?: Readonly<Record<string, number>>;
  /** A readable name for pages and mails; the product code otherwise. */
  readonly name?: string;
  /**
   * The services of the vendor's product that hold credits while enabled (R9), by id, each
   * with its published rate (R14). Ids are unique across the catalog.
   */
  readonly services?: Readonly<Record<string, ServiceRate>>;
  /**
   * When an order line conflicts with a service a business already has (R12, seed 003's
   * "conflicted SaaS"): `overlapping-term` (default), `same-service`, or `none`.
   */
  readonly orderConflict?: 'overlapping-term' | 'same-service' | 'none';
}

/** The product's conflict rule for order lines (R12); a product not in the catalog conflicts by term. */
export function orderConflictRule(
  catalog: ProductCatalog,
  productCode: string,
): 'overlapping-term' | 'same-service' | 'none' {
  return findProductByCode(catalog, productCode)?.orderConflict ?? 'overlapping-term';
}

/** A service's published rate: credits per unit (e.g. per endpoint for the term). */
export interface ServiceRate {
  readonly name: string;
  /** The unit counted, singular (`endpoint`, `mailbox`). */
  readonly unit: string;
  /** A whole number of credits per unit, so every allocation is a whole number of credits. */
  readonly creditsPerUnit: number;
}

export interface Service extends ServiceRate {
  readonly id: string;
  readonly productCode: string;
}

export interface ProductCatalog {
  readonly products: readonly ProductConfig[];
}

export function findProductByCode(catalog: ProductCatalog, productCode: string): ProductConfig | undefined {
  return catalog.products.find((p) => p.productCode === productCode);
}

export function findProductById(catalog: ProductCatalog, productId: string): ProductConfig | undefined {
  return catalog.products.find((p) => p.productId === productId);
}

export function creditsPerUnit(product: ProductConfig, dimension: string): number {
  if (!product.creditsPerUnit) return 1;
  return product.creditsPerUnit[dimension] ?? 0;
}

/** Every service of every product, in catalog order. */
export function servicesOf(catalog: ProductCatalog): Service[] {
  return catalog.products.flatMap((product) =>
    Object.entries(product.services ?? {}).map(([id, rate]) => ({
      id,
      productCode: product.productCode,
      ...rate,
    })),
  );
}

export function findService(catalog: ProductCatalog, id: string): Service | undefined {
  return servicesOf(catalog).find((service) => service.id === id);
}
