import { findService, type ProductCatalog, type Service } from '../product/catalog.js';
import { UnknownServiceError } from './errors.js';

export interface EstimateLine {
  readonly service: string;
  readonly units: number;
}

export interface EstimatedLine extends Service {
  readonly units: number;
  readonly credits: number;
}

export interface Estimate {
  readonly lines: readonly EstimatedLine[];
  readonly total: number;
}

/**
 * The credit calculator (R14): each chosen service's units times its published rate, and the
 * sum. The same rates the allocations use, so an estimate is what enabling those services
 * will take. A service named twice counts once per line, in the order given.
 */
export function estimateCredits(catalog: ProductCatalog, lines: readonly EstimateLine[]): Estimate {
  const estimated = lines.map((line) => {
    const service = findService(catalog, line.service);
    if (!service) throw new UnknownServiceError(line.service);
    return { ...service, units: line.units, credits: line.units * service.creditsPerUnit };
  });
  return { lines: estimated, total: estimated.reduce((sum, line) => sum + line.credits, 0) };
}
