import { describe, expect, it } from 'vitest';
import { messagePage } from '../../../functions/setup/views/pages.js';
import { hasEnded } from '../../../lib/domain/setup/activate-license.js';

const NOW = new Date('2026-05-01T11:00:00.000Z');

describe('hasEnded', () => {
  it.each([
    ['a running term that expires later', 'current', '2026-05-01T11:00:00.001Z', false],
    ['a running term at its expiration instant', 'current', '2026-05-01T11:00:00.000Z', true],
    [
      'a running term past its expiration instant (no notification yet)',
      'current',
      '2026-04-30T00:00:00.000Z',
      true,
    ],
    ['a running term with an unreadable expiry', 'current', 'not a date', true],
    ['an expired term', 'expired', '2027-01-01T00:00:00.000Z', true],
    ['a cancelled term', 'cancelled', '2027-01-01T00:00:00.000Z', true],
  ] as const)('says %s has ended: %s', (_, term, expiresAt, ended) => {
    expect(hasEnded({ term, expiresAt }, NOW)).toBe(ended);
  });
});

describe('contract-ended page', () => {
  const ctx = { productName: 'Acme Credits', supportEmail: 'support@acme.example' };

  it('names the expiry date in the business time zone when it is given', () => {
    const page = messagePage(ctx, 'contract-ended', {
      expiredAt: '2026-05-01T11:00:00.000Z',
      timeZone: 'America/Los_Angeles',
    });
    expect(page.status).toBe(410);
    expect(page.html).toContain(
      'This subscription expired on <time datetime="2026-05-01T11:00:00.000Z">May 1, 2026, 4:00 AM PDT</time>, so there is nothing to activate.',
    );
    expect(page.html).toContain('If it renews automatically');
  });

  it('shows the date in UTC when no time zone is given', () => {
    const page = messagePage(ctx, 'contract-ended', { expiredAt: '2026-05-01T11:00:00.000Z' });
    expect(page.html).toContain('May 1, 2026, 11:00 AM UTC');
  });
});
