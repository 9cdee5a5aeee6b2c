import type { AgreementReader } from '../../domain/contract/agreement.js';
import type { EntitlementReader } from '../../domain/contract/ports.js';

/** Waits until the next call may go out: calls spread evenly at `perSecond`, never in a burst. */
export type Pacer = (calls?: number) => Promise<void>;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A pacer for a background job (the reconciliation sweep) that must stay well inside the
 * marketplace APIs' rate limits, which notifications and setups share with it. Slots are handed
 * out in order: a caller waits until its slot, so calls never exceed `perSecond` on average
 * over any window longer than one interval.
 */
export function createPacer(
  perSecond: number,
  { now = Date.now, sleep = realSleep }: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): Pacer {
  if (!(perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${perSecond}`);
  const interval = 1000 / perSecond;
  let next = 0;
  return async (calls = 1) => {
    const t = now();
    const at = Math.max(t, next);
    next = at + interval * calls;
    if (at > t) await sleep(at - t);
  };
}

/** GetEntitlements, one slot per read (a read of more than one page is rare: 25 rows a page). */
export function pacedEntitlements(reader: EntitlementReader, pace: Pacer): EntitlementReader {
  return {
    async read(productCode, filter) {
      await pace();
      return reader.read(productCode, filter);
    },
  };
}

/** The Agreement API: a read is DescribeAgreement plus GetAgreementTerms, two slots. */
export function pacedAgreements(reader: AgreementReader, pace: Pacer): AgreementReader {
  return {
    async read(agreementId) {
      await pace(2);
      return reader.read(agreementId);
    },
    async search(query) {
      await pace();
      return reader.search(query);
    },
  };
}
