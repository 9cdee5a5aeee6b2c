import type { Contract } from '../contract/model.js';
import type { CreditSource } from './model.js';

/**
 * What an activated marketplace contract adds to its business's total (R2): its active
 * credits until the term's end; nothing once the term ended or before activation.
 */
export function contractSource(
  contract: Pick<Contract, 'activatedBy' | 'term' | 'activeCredits' | 'expiresAt' | 'productCode'>,
): CreditSource | undefined {
  if (!contract.activatedBy || contract.term !== 'current' || contract.activeCredits <= 0) return undefined;
  return {
    kind: 'contract',
    productCode: contract.productCode,
    credits: contract.activeCredits,
    expiresAt: contract.expiresAt,
  };
}
