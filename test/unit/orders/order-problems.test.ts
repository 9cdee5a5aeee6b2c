import { describe, expect, it } from 'vitest';
import { MAX_LICENSE_CREDITS } from '../../../lib/domain/credits/use-cases.js';
import { orderProblems } from '../../../lib/domain/orders/import-order.js';
import type { OrderInput, OrderLineInput } from '../../../lib/domain/orders/model.js';
import { CREDITS_PRODUCT, creditsCatalog } from '../../support/credits.js';

/** What an import refuses before any write (R12), on the pure check: no I/O. */

const NOW = new Date('2026-06-01T10:00:00.000Z');

function orderOf(...lines: Partial<OrderLineInput>[]): OrderInput {
  return {
    orderId: 'SO-1',
    company: { name: 'Example GmbH' },
    lines: lines.map((line) => ({
      productCode: CREDITS_PRODUCT,
      service: 'endpoint-security',
      units: 10,
      expiresAt: '2027-06-01T00:00:00Z',
      ...line,
    })),
  };
}

describe('orderProblems (R12)', () => {
  it('accepts a line whose term started already, or that starts now', () => {
    expect(orderProblems(orderOf({ startsAt: '2026-04-01T00:00:00Z' }), creditsCatalog, NOW)).toEqual({});
    expect(orderProblems(orderOf({ startsAt: NOW.toISOString() }), creditsCatalog, NOW)).toEqual({});
    expect(orderProblems(orderOf({}), creditsCatalog, NOW)).toEqual({});
  });

  it('refuses a term that starts later: its credits would count before it begins (R2)', () => {
    const problems = orderProblems(
      orderOf({}, { startsAt: '2026-06-01T10:00:00.001Z' }),
      creditsCatalog,
      NOW,
    );
    expect(problems).toEqual({ 'lines[1].startsAt': expect.stringMatching(/not in the future/) });
  });

  it('refuses units whose credits at the service rate exceed what one license may carry', () => {
    // endpoint-security is 3 credits a unit: one unit more than the cap allows.
    const units = Math.floor(MAX_LICENSE_CREDITS / 3) + 1;
    expect(orderProblems(orderOf({ units }), creditsCatalog, NOW)).toEqual({
      'lines[0].units': expect.stringMatching(/at most/),
    });
    expect(orderProblems(orderOf({ units: units - 1 }), creditsCatalog, NOW)).toEqual({});
  });
});
