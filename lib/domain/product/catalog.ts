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
