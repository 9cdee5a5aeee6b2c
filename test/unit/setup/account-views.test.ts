import { describe, expect, it } from 'vitest';
import { parseCalculatorQuery, parseUnits } from '../../../functions/setup/calculator.js';
import {
  calculatorPage,
  signInCodePage,
  unitsOf,
  usagePage,
} from '../../../functions/setup/views/account-pages.js';
import { bar, barPercent, usageSegments } from '../../../functions/setup/views/chart.js';
import type { PageContext } from '../../../functions/setup/views/pages.js';
import type { CreditUsage } from '../../../lib/domain/credits/ledger.js';
import type { Service } from '../../../lib/domain/product/catalog.js';

const ctx: PageContext = { productName: 'Acme Credits', supportEmail: 'support@acme.example' };
const SERVICES: Service[] = [
  {
    id: 'endpoint-security',
    productCode: 'p',
    name: 'Endpoint Security',
    unit: 'endpoint',
    creditsPerUnit: 3,
  },
  { id: 'email-security', productCode: 'p', name: 'Email Security', unit: 'mailbox', creditsPerUnit: 2 },
];

function usage(overrides: Partial<CreditUsage> = {}): CreditUsage {
  return {
    total: 1000,
    allocated: 400,
    balance: 600,
    overAllocatedBy: 0,
    distribution: [],
    expiringSoon: [],
    expiringCredits: 0,
    horizonDays: 60,
    ...overrides,
  };
}

describe('barPercent', () => {
  it.each([
    [0, 100, 0],
    [50, 100, 50],
    [1, 3, 33.3],
    [2, 3, 66.7],
    [1, 100_000, 0.5],
    [300, 100, 100],
    [10, 0, 0],
    [-5, 100, 0],
    [Number.NaN, 100, 0],
  ])('gives %s of %s as %s %%', (part, whole, expected) => {
    // Act
    const percent = barPercent(part, whole);

    // Assert
    expect(percent).toBe(expected);
  });
});

describe('usageSegments', () => {
  it('splits the total into allocated and free when allocations fit', () => {
    // Act
    const segments = usageSegments(1000, 250);

    // Assert
    expect(segments).toEqual({ allocated: 25, free: 75, over: 0 });
  });

  it('scales to what is allocated and shows the part beyond the total when over-allocated', () => {
    // Act
    const segments = usageSegments(1000, 1200);

    // Assert
    expect(segments).toEqual({ allocated: 83.3, free: 0, over: 16.7 });
  });

  it('draws nothing but the track when there are no credits at all', () => {
    // Act
    const segments = usageSegments(0, 0);

    // Assert
    expect(segments).toEqual({ allocated: 0, free: 0, over: 0 });
  });
});

describe('bar', () => {
  it('lays segments side by side with SVG attributes only, never a style attribute', () => {
    // Act
    const svg = bar([
      { percent: 30, kind: 'used' },
      { percent: 0, kind: 'free' },
      { percent: 70, kind: 'over' },
    ]).toString();

    // Assert
    expect(svg).toContain('<rect class="used" x="0" width="30" height="10"/>');
    expect(svg).toContain('<rect class="over" x="30" width="70" height="10"/>');
    expect(svg).not.toContain('class="free"');
    expect(svg).toContain('aria-hidden="true"');
    expect(svg).not.toContain('style=');
  });
});

describe('unitsOf', () => {
  it.each([
    [1, 'endpoint', 'endpoint'],
    [2, 'endpoint', 'endpoints'],
    [2, 'mailbox', 'mailboxes'],
    [0, 'cloud account', 'cloud accounts'],
    [5, 'proxy', 'proxies'],
  ])('names %s %s as %s', (n, unit, expected) => {
    expect(unitsOf(n, unit)).toBe(expected);
  });
});

describe('parseUnits', () => {
  it.each([
    ['0', 0],
    ['25', 25],
    [' 7 ', 7],
    ['0001000000', 1_000_000],
  ])('reads %j as %s units', (value, expected) => {
    expect(parseUnits(value)).toBe(expected);
  });

  it.each(['-1', '1.5', '1e3', '0x10', '+3', 'abc', '1 000', '١٢'])('refuses %j with a message', (value) => {
    expect(parseUnits(value)).toEqual({ message: expect.stringContaining('whole number') });
  });

  it.each(['1000001', '99999999999999999999'])('refuses %j as above the limit', (value) => {
    expect(parseUnits(value)).toEqual({ message: 'At most 1,000,000 units per service.' });
  });
});

describe('parseCalculatorQuery', () => {
  it('shows the blank form when there is no query', () => {
    expect(parseCalculatorQuery('', SERVICES)).toEqual({ kind: 'form' });
  });

  it('gives the lines in catalog order and skips empty fields when the query is valid', () => {
    // Act
    const query = parseCalculatorQuery('email-security=4&endpoint-security=', SERVICES);

    // Assert
    expect(query).toEqual({
      kind: 'estimate',
      lines: [{ service: 'email-security', units: 4 }],
      values: { 'email-security': '4', 'endpoint-security': '' },
    });
    const both = parseCalculatorQuery('email-security=4&endpoint-security=10', SERVICES);
    expect(both.kind === 'estimate' && both.lines.map((l) => l.service)).toEqual([
      'endpoint-security',
      'email-security',
    ]);
  });

  it('lists at most ten messages however many bad parameters come', () => {
    // Act
    const query = parseCalculatorQuery(
      Array.from({ length: 500 }, (_, i) => `bad${i}=1`).join('&'),
      SERVICES,
    );

    // Assert
    expect(query.kind).toBe('invalid');
    if (query.kind === 'invalid') expect(query.errors.length).toBeLessThanOrEqual(10);
  });

  it('keeps echoed values short when a field holds a long value', () => {
    // Act
    const query = parseCalculatorQuery(`endpoint-security=${'1'.repeat(300)}`, SERVICES);

    // Assert
    expect(query.kind === 'invalid' && query.values['endpoint-security']).toHaveLength(20);
  });
});

describe('usagePage', () => {
  it('warns in an alert and shows the amount when the business is over-allocated', () => {
    // Act
    const page = usagePage(ctx, {
      csrf: 'csrf-token-123',
      business: { name: 'Acme', timeZone: 'UTC' },
      usage: usage({ total: 100, allocated: 150, balance: -50, overAllocatedBy: 50 }),
      service: () => undefined,
      sourceName: (id) => id,
    });

    // Assert
    expect(page.status).toBe(200);
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('Over-allocated by 50 credits.');
    expect(page.html).toContain('class="over"');
    expect(page.html).toContain('action="/account/sign-out"');
  });

  it('says nothing expires when no source ends within the horizon', () => {
    // Act
    const page = usagePage(ctx, {
      csrf: 'csrf-token-123',
      business: { name: 'Acme', timeZone: 'UTC' },
      usage: usage(),
      service: () => undefined,
      sourceName: (id) => id,
    });

    // Assert
    expect(page.html).toContain('Nothing expires within the next 60 days.');
    expect(page.html).not.toContain('role="alert"');
  });
});

describe('signInCodePage', () => {
  it('never says whether the email has an account', () => {
    // Act
    const page = signInCodePage(ctx, {
      csrf: 'csrf-token-123',
      email: 'a@example.com',
      resendAvailableInSeconds: 0,
      attemptsLeft: 5,
    });

    // Assert
    expect(page.html).toContain('If an account exists for <strong>a@example.com</strong>');
    expect(page.html).not.toMatch(/no account|not found|unknown/i);
  });
});

describe('calculatorPage', () => {
  it('answers 400 and ties each message to its field when the input is wrong', () => {
    // Act
    const page = calculatorPage(ctx, {
      services: SERVICES,
      values: { 'endpoint-security': '-1' },
      errors: [{ id: 'endpoint-security', message: 'Endpoint Security: Enter a whole number.' }],
    });

    // Assert
    expect(page.status).toBe(400);
    expect(page.html).toContain('<a href="#endpoint-security">');
    expect(page.html).toMatch(/id="endpoint-security"[^>]*value="-1"[^>]*aria-invalid="true"/);
  });
});
