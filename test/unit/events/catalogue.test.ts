import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventIdOf } from '../../../lib/adapters/events/stream-records.js';
import {
  contractEvents,
  EVENT_TYPES,
  expiringEvent,
  historyEvents,
  ledgerEvents,
  type OutboundEvent,
} from '../../../lib/domain/events/catalogue.js';
import {
  allocation,
  auditEntries,
  BUSINESS,
  CONTRACT,
  historyEntries,
  ledger,
  noticeClaim,
} from './fixtures.js';

const OUT = new URL('../../../events/out/', import.meta.url).pathname;

/** One sample per type, built from the fixtures: `events/out/<type>.json` must be exactly this. */
function samples(): Map<string, OutboundEvent> {
  const all = new Map<string, OutboundEvent>();
  for (const entry of Object.values(auditEntries())) {
    for (const event of contractEvents(entry, eventIdOf)) all.set(event.type, event);
  }
  const before = ledger();
  const allocated = ledger({
    allocations: { 'endpoint-security': allocation('endpoint-security', 100, 3) },
    allocated: 300,
    balance: 700,
    revision: 2,
    updatedAt: '2026-12-02T08:00:00.000Z',
  });
  for (const event of ledgerEvents(undefined, before, eventIdOf)) all.set(event.type, event);
  for (const event of ledgerEvents(before, allocated, eventIdOf)) all.set(event.type, event);
  const over = ledger({
    ...allocated,
    sources: {},
    total: 0,
    balance: -300,
    earliestExpiry: undefined,
    overAllocatedSince: '2027-04-01T10:00:00.000Z',
    revision: 3,
    updatedAt: '2027-04-01T10:00:00.000Z',
  });
  for (const event of ledgerEvents(allocated, over, eventIdOf)) all.set(event.type, event);
  all.set('license.expiring', expiringEvent(noticeClaim, eventIdOf));
  for (const { entry, where } of historyEntries()) {
    for (const event of historyEvents(entry, where, eventIdOf)) all.set(event.type, event);
  }
  return all;
}

describe('event catalogue', () => {
  it('has a sample in events/out for every type, equal to what the code builds', () => {
    const built = samples();
    expect([...built.keys()].sort()).toEqual([...EVENT_TYPES].sort());
    for (const [type, event] of built) {
      const file = join(OUT, `${type}.json`);
      const text = `${JSON.stringify(event, null, 2)}\n`;
      if (process.env.UPDATE_EXAMPLES === '1' || !existsSync(file)) writeFileSync(file, text);
      expect(readFileSync(file, 'utf8'), type).toBe(text);
    }
  });

  it('never carries an email address or the primary email of the ledger', () => {
    for (const event of samples().values()) {
      expect(JSON.stringify(event)).not.toMatch(/@/);
    }
  });

  it('gives the same id to the same committed change, and different ids to different changes', () => {
    const entries = auditEntries();
    const first = contractEvents(entries['contract.activated'] as never, eventIdOf);
    const again = contractEvents(structuredClone(entries['contract.activated']) as never, eventIdOf);
    expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
    const ids = [...samples().values()].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^evt_[A-Za-z0-9_-]{24}$/);
  });

  it('dates each contract event at its change and carries the state after it', () => {
    const entry = auditEntries()['contract.upgraded'];
    const [event] = contractEvents(entry as never, eventIdOf);
    expect(event).toMatchObject({
      type: 'contract.upgraded',
      version: 1,
      timestamp: entry?.at,
      data: {
        contractId: CONTRACT,
        businessId: BUSINESS,
        change: { type: 'upgraded', addedCredits: 500, itemNo: 2 },
        contract: {
          status: 'active',
          credits: 1500,
          items: [{ itemNo: 1 }, { itemNo: 2, origin: 'upgrade' }],
        },
      },
    });
  });

  it('lists every change of one type in a version: credits reduced and term shortened together', () => {
    const entry = {
      ...auditEntries()['contract.changed'],
      changes: [
        { type: 'term-shortened', from: '2027-12-01T00:00:00.000Z', to: '2027-06-01T00:00:00.000Z' },
        { type: 'credits-reduced', from: 1500, to: 1200 },
      ],
    };
    const events = contractEvents(entry as never, eventIdOf);
    expect(events).toHaveLength(1);
    expect(events[0]?.data.changes).toEqual([
      {
        type: 'term-shortened',
        previousExpiresAt: '2027-12-01T00:00:00.000Z',
        expiresAt: '2027-06-01T00:00:00.000Z',
      },
      { type: 'credits-reduced', previousCredits: 1500, credits: 1200 },
    ]);
  });

  it('publishes nothing for changes only the audit trail needs (identity learned, dimensions alone)', () => {
    const entry = {
      ...auditEntries()['contract.changed'],
      changes: [
        { type: 'identity-learned', fields: ['customerAWSAccountId'] },
        { type: 'facts-updated', facts: ['offerId'] },
      ],
    };
    expect(contractEvents(entry as never, eventIdOf)).toEqual([]);
  });

  it('reads an audit entry written before entries carried their state', () => {
    const { state: _state, ...old } = auditEntries()['contract.created'] as NonNullable<
      ReturnType<typeof auditEntries>[string]
    >;
    const [event] = contractEvents(old, eventIdOf);
    expect(event?.data).toMatchObject({
      productCode: 'a1b2c3d4e5credits0example',
      businessId: null,
      contract: { status: 'pending-setup', credits: 1000 },
    });
    expect(event?.data.contract).not.toHaveProperty('items');
  });

  it('tells an allocation per service that changed, and a release as zero units', () => {
    const before = ledger({
      allocations: {
        'endpoint-security': allocation('endpoint-security', 100, 3),
        'email-security': allocation('email-security', 10, 2),
      },
      allocated: 320,
      balance: 680,
      revision: 4,
    });
    const after = ledger({
      allocations: { 'endpoint-security': allocation('endpoint-security', 100, 3) },
      allocated: 300,
      balance: 700,
      revision: 5,
    });
    const events = ledgerEvents(before, after, eventIdOf);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'credits.allocated',
      data: { service: 'email-security', units: 0, credits: 0, previousUnits: 10, previousCredits: 20 },
    });
  });

  it('tells an over-allocation once, when the balance first goes below zero', () => {
    const over = ledger({ balance: -5, overAllocatedSince: '2027-04-01T10:00:00.000Z', revision: 3 });
    expect(ledgerEvents(ledger(), over, eventIdOf).map((e) => e.type)).toContain('credits.over-allocated');
    const still = ledger({ ...over, balance: -7, revision: 4 });
    expect(ledgerEvents(over, still, eventIdOf).map((e) => e.type)).not.toContain('credits.over-allocated');
  });

  it('tells nothing for a ledger write that changed no figure a consumer sees', () => {
    expect(
      ledgerEvents(ledger(), ledger({ revision: 2, updatedAt: '2026-12-03T00:00:00.000Z' }), eventIdOf),
    ).toEqual([]);
  });

  it('finds no inherited allocation for a service called constructor', () => {
    const after = ledger({ allocations: { constructor: allocation('constructor', 1, 1) }, revision: 2 });
    const [event] = ledgerEvents(ledger(), after, eventIdOf);
    expect(event?.data).toMatchObject({ service: 'constructor', previousUnits: 0, units: 1 });
  });

  it('gives each expiry threshold of a term its own id, and a renewed term new ones (R10, R13)', () => {
    const at30 = expiringEvent(noticeClaim, eventIdOf);
    const at7 = expiringEvent({ ...noticeClaim, threshold: 7, daysLeft: 7 }, eventIdOf);
    const renewed = expiringEvent({ ...noticeClaim, expiresAt: '2028-12-01T00:00:00.000Z' }, eventIdOf);
    const again = expiringEvent({ ...noticeClaim, claimedAt: '2027-11-01T09:00:00.000Z' }, eventIdOf);
    expect(new Set([at30.id, at7.id, renewed.id]).size).toBe(3);
    expect(again.id).toBe(at30.id);
    expect(at30.data).toMatchObject({ contractId: CONTRACT, daysLeft: 30, autoRenew: true });
  });
});
