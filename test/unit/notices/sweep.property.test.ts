import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarDaysLeft, dueThreshold, type ExpiryThreshold } from '../../../lib/domain/notices/expiry.js';
import type { ExpiryNotice } from '../../../lib/domain/notices/ports.js';
import { sendExpiryNotices } from '../../../lib/domain/notices/sweep.js';
import { aBusiness, aLicense, DAY_MS, world } from './fakes.js';

const EXPIRES_AT = '2027-03-29T10:00:00.000Z'; // after the March clock changes of Europe and America
const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Asia/Tokyo',
  'Australia/Lord_Howe',
  'Pacific/Kiritimati',
];

describe('sendExpiryNotices over any schedule of daily runs', () => {
  it('sends each threshold at most once, in order, each in its bracket, and the current one whenever a run is in it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        // Runs on any subset of the 75 days before expiry, at any time of day, some twice at once.
        fc.uniqueArray(fc.integer({ min: 0, max: 75 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: DAY_MS - 1 }),
        fc.boolean(),
        async (timeZone, days, timeOfDay, overlap) => {
          const w = world([aLicense({ expiresAt: EXPIRES_AT })], [aBusiness({ timeZone })]);
          const claimed: ExpiryNotice[] = [];
          const claim = w.claims.claim.bind(w.claims);
          w.claims.claim = async (notice) => {
            const mine = await claim(notice);
            if (mine) claimed.push(notice);
            return mine;
          };
          const expected = new Set<ExpiryThreshold>();
          const runs = [...days]
            .sort((a, b) => b - a)
            .map((d) => new Date(Date.parse(EXPIRES_AT) - d * DAY_MS - timeOfDay));

          for (const now of runs) {
            const due = dueThreshold(calendarDaysLeft(EXPIRES_AT, now, timeZone));
            if (due !== undefined && now.getTime() < Date.parse(EXPIRES_AT)) expected.add(due);
            await (overlap
              ? Promise.all([sendExpiryNotices(w.deps, now), sendExpiryNotices(w.deps, now)])
              : sendExpiryNotices(w.deps, now));
          }

          const thresholds = claimed.map((n) => n.threshold);
          expect(w.mailer.sent).toHaveLength(claimed.length);
          expect(thresholds).toEqual([...expected]);
          expect(thresholds).toEqual([...thresholds].sort((a, b) => b - a));
          for (const n of claimed) expect(dueThreshold(n.daysLeft)).toBe(n.threshold);
        },
      ),
      { numRuns: 60 },
    );
  });
});
