import { describe, expect, it } from 'vitest';
import { eventIdOf } from '../../../lib/adapters/events/stream-records.js';
import { contractEvents, EVENT_TYPES } from '../../../lib/domain/events/catalogue.js';
import { planReplacement } from '../../../lib/domain/support/replace-code.js';
import { planTransfer } from '../../../lib/domain/support/transfer.js';
import {
  A,
  ACTOR,
  B,
  business,
  CONTRACT_ID,
  codeRecord,
  holderLedger,
  NEW_CODE,
  NOW,
  stored,
} from './fixtures.js';

const transferred = (reason = ACTOR.reason) => {
  const { write } = planTransfer({
    license: CONTRACT_ID,
    held: { kind: 'contract', stored: stored() },
    target: business(B),
    toBusinessId: B,
    expectedFromBusinessId: undefined,
    fromLedger: holderLedger(),
    toLedger: undefined,
    actor: { ...ACTOR, reason },
    transferId: 'sup-1',
    now: NOW,
    drawCode: () => NEW_CODE,
  });
  if (write.license.kind !== 'contract') throw new Error('expected a contract');
  return write.license.audit;
};

describe('events of the support operations', () => {
  it('publishes contract.transferred from the audit entry, with the businesses and the ticket, the new holder as businessId', () => {
    expect(EVENT_TYPES).toContain('contract.transferred');
    const [event, ...more] = contractEvents(transferred(), eventIdOf);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      id: eventIdOf(`contract|${CONTRACT_ID}|4|contract.transferred`),
      type: 'contract.transferred',
      timestamp: NOW.toISOString(),
      data: {
        contractId: CONTRACT_ID,
        businessId: B,
        change: {
          type: 'transferred',
          fromBusinessId: A,
          toBusinessId: B,
          ticket: ACTOR.ticket,
          reason: ACTOR.reason,
        },
      },
    });
  });

  it("never publishes the caller's identity, and leaves out an address the reason names", () => {
    const [event] = contractEvents(
      transferred('Asked by jane.doe+ops@example.co.uk on the phone'),
      eventIdOf,
    );
    const text = JSON.stringify(event);
    expect(text).not.toContain('@');
    expect(text).not.toContain(ACTOR.by);
    expect(event?.data.change).toMatchObject({ reason: 'Asked by [address removed] on the phone' });
  });

  it("publishes nothing from a code replacement's audit entry: the business's history entry says code.replaced", () => {
    const contract = stored();
    const item = contract.items[0];
    if (!item) throw new Error('no item');
    const write = planReplacement({
      record: codeRecord({ kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 }),
      target: { kind: 'contract-item', stored: contract, item },
      code: 'PC-NEW',
      masked: { old: 'PC-***', next: 'PC-N**' },
      actor: ACTOR,
      entryId: 'sup-2',
      now: NOW,
    });
    if (write.target.kind !== 'contract-item') throw new Error('expected a contract item');
    expect(contractEvents(write.target.audit, eventIdOf)).toEqual([]);
  });
});
