import type { AgreementRead } from './agreement.js';
import type { Contract, ContractFacts, Fact, StoredContract } from './model.js';
import type { ReconcileResult } from './reconcile.js';

/**
 * Brings what the Agreement API said about a contract's agreement into its facts: the terms
 * (contract value, renewal, end behaviour, free trial, units; `freeTrialOf` and `autoRenewOf`
 * read the flags from them), the agreement and offer ids, or why the terms could not be read.
 *
 * Pure, and a fact changes only when its value does: the same terms read again (a daily sweep, a
 * duplicate notification) change nothing, and a read older than a fact never rolls it back.
 * Quantities and dates for credits are not touched (R1: terms enrich, they do not decide).
 */
export function applyTerms(
  stored: StoredContract,
  read: AgreementRead,
  readAt: string,
  now: Date,
): ReconcileResult {
  const { contract } = stored;
  const facts: Record<string, Fact<unknown> | undefined> = { ...contract.facts };
  const updated: string[] = [];
  const offer = (name: keyof ContractFacts, value: unknown) => {
    const have = facts[name];
    if (have && (sameValue(have.value, value) || Date.parse(have.asOf) > Date.parse(readAt))) return;
    facts[name] = { value, asOf: readAt };
    updated.push(name);
  };
  if (read.kind === 'found') {
    const { terms } = read;
    // The free-trial and auto-renew flags are read from the terms (`freeTrialOf`, `autoRenewOf`),
    // not copied into the notifications' facts.
    offer('terms', terms);
    if (!contract.facts.agreementId) offer('agreementId', terms.agreementId);
    if (terms.offerId && !contract.facts.offerId) offer('offerId', terms.offerId);
    if (facts.termsUnavailable) {
      facts.termsUnavailable = undefined;
      updated.push('termsUnavailable');
    }
  } else {
    offer('termsUnavailable', read.unavailable);
    if (!contract.facts.agreementId) offer('agreementId', read.unavailable.agreementId);
  }
  if (updated.length === 0) return { changed: false };
  const next: Contract = {
    ...contract,
    facts: Object.fromEntries(Object.entries(facts).filter(([, f]) => f !== undefined)) as ContractFacts,
    updatedAt: now.toISOString(),
    version: contract.version + 1,
  };
  return {
    changed: true,
    next: { contract: next, items: stored.items },
    touchedItems: [],
    changes: [{ type: 'facts-updated', facts: updated }],
  };
}

/** Structural equality of JSON-like values (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
