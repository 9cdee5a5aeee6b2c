import { describe, expect, it } from 'vitest';
import type { AgreementTerms } from '../../../lib/domain/contract/agreement.js';
import { continues, planContinuation } from '../../../lib/domain/contract/continuation.js';
import type { StoredContract } from '../../../lib/domain/contract/model.js';
import { activatedContract } from '../../support/credits.js';

const AT = new Date('2027-05-01T00:00:00.000Z');
const trigger = { source: 'sweep', type: 'test', id: 't-1', at: AT.toISOString() } as const;

/** A contract of account 123456789012 under agreement `id` of chain `chain`, with its agreement's status. */
function under(
  licenseId: string,
  id: string,
  status: string,
  start: string,
  extra: Partial<AgreementTerms> = {},
  businessId?: string,
): StoredContract {
  const stored = activatedContract(licenseId, 100, new Date('2028-01-01T00:00:00.000Z'), AT, businessId);
  const terms: AgreementTerms = {
    agreementId: id,
    initialAgreementId: 'agmt-a',
    status,
    startTime: start,
    acceptorAccountId: '123456789012',
    units: {},
    ...extra,
  };
  return {
    ...stored,
    contract: { ...stored.contract, facts: { terms: { value: terms, asOf: AT.toISOString() } } },
  };
}

describe('renewal chains run one way (R13)', () => {
  const a = under('l-a', 'agmt-a', 'RENEWED', '2026-01-01T00:00:00.000Z', {}, 'biz-1');
  const b = under('l-b', 'agmt-b', 'ACTIVE', '2027-01-01T00:00:00.000Z');

  it('the newer agreement continues the one that says RENEWED, never the other way', () => {
    expect(continues(b.contract, a.contract)).toBe(true);
    expect(continues(a.contract, b.contract)).toBe(false);
  });

  it('two agreements of one chain that are both live link nothing', () => {
    const c = under('l-c', 'agmt-c', 'ACTIVE', '2027-06-01T00:00:00.000Z');
    expect(continues(c.contract, b.contract)).toBe(false);
    expect(continues(b.contract, c.contract)).toBe(false);
  });

  it('a successor that started before its predecessor is no successor', () => {
    const early = under('l-e', 'agmt-e', 'ACTIVE', '2025-01-01T00:00:00.000Z');
    expect(continues(early.contract, a.contract)).toBe(false);
  });

  it('another buyer, a missing account or terms of another acceptor never link', () => {
    const other = { ...b.contract, customerAWSAccountId: '999999999999' };
    expect(continues(other, a.contract)).toBe(false);
    const { customerAWSAccountId: _, ...noAccount } = b.contract;
    expect(continues(noAccount, a.contract)).toBe(false);
    const foreign = under('l-f', 'agmt-f', 'ACTIVE', '2027-01-01T00:00:00.000Z', {
      acceptorAccountId: '999999999999',
    });
    expect(continues(foreign.contract, a.contract)).toBe(false);
  });

  it("the Created event's previousAgreementId links without terms", () => {
    const plain = activatedContract('l-p', 50, new Date('2028-01-01T00:00:00.000Z'), AT);
    const linked = {
      ...plain.contract,
      facts: {
        agreementId: { value: 'agmt-p', asOf: AT.toISOString() },
        previousAgreementId: { value: 'agmt-a', asOf: AT.toISOString() },
      },
    };
    expect(continues(linked, a.contract)).toBe(true);
  });
});

describe('planContinuation', () => {
  const a = under('l-a', 'agmt-a', 'RENEWED', '2026-01-01T00:00:00.000Z', {}, 'biz-1');

  it('moves the activation and ends the old contract as renewed', () => {
    const b = under('l-b', 'agmt-b', 'ACTIVE', '2027-01-01T00:00:00.000Z');
    const plan = planContinuation(a, b, trigger, AT);
    if ('none' in plan) throw new Error(plan.none);
    const [old, next] = plan.changes;
    expect(plan.takesOver).toBe(true);
    expect(old.next.contract).toMatchObject({
      term: 'renewed',
      activeCredits: 0,
      nextContractId: b.contract.contractId,
    });
    expect(old.next.items.every((item) => item.state === 'ended')).toBe(true);
    expect(next.next.contract).toMatchObject({
      setupState: 'active',
      activatedBy: 'biz-1',
      previousContractId: a.contract.contractId,
    });
    expect(planContinuation(old.next, next.next, trigger, AT)).toEqual({ none: 'already-linked' });
  });

  it('a successor another business activated keeps its business; the old contract still ends (no double count)', () => {
    const b = under('l-b', 'agmt-b', 'ACTIVE', '2027-01-01T00:00:00.000Z', {}, 'biz-2');
    const plan = planContinuation(a, b, trigger, AT);
    if ('none' in plan) throw new Error(plan.none);
    expect(plan.takesOver).toBe(false);
    expect(plan.changes[1].next.contract.activatedBy).toBe('biz-2');
    expect(plan.changes[0].next.contract).toMatchObject({ term: 'renewed', activeCredits: 0 });
  });

  it('a predecessor nobody activated hands nothing over', () => {
    const pending = under('l-q', 'agmt-q', 'RENEWED', '2026-01-01T00:00:00.000Z');
    const b = under('l-b', 'agmt-b', 'ACTIVE', '2027-01-01T00:00:00.000Z', { initialAgreementId: 'agmt-a' });
    const q = {
      ...pending,
      contract: {
        ...pending.contract,
        facts: {
          terms: {
            value: { ...(pending.contract.facts.terms?.value as AgreementTerms), agreementId: 'agmt-a' },
            asOf: AT.toISOString(),
          },
        },
      },
    };
    expect(planContinuation(q, b, trigger, AT)).toEqual({ none: 'predecessor-not-activated' });
  });
});
