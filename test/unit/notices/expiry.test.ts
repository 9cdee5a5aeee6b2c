import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calendarDaysLeft,
  dueThreshold,
  EXPIRY_THRESHOLDS,
  formatDate,
  formatTime,
  localDate,
  NOTICE_WINDOW_DAYS,
  noticeWindowEnd,
  noticeZone,
} from '../../../lib/domain/notices/expiry.js';
import { DAY_MS } from './fakes.js';

describe('dueThreshold', () => {
  // R10: the first notice at 60 days; then 30 and 7. The bracket, not the exact day, so a missed
  // run catches up and a late-found license gets only its current notice.
  it.each([
    [61, undefined],
    [60, 60],
    [45, 60],
    [31, 60],
    [30, 30],
    [8, 30],
    [7, 7],
    [1, 7],
    [0, 7],
    [-1, undefined],
    [Number.NaN, undefined],
  ] as const)('puts a license with %s days left in bracket %s', (days, bracket) => {
    expect(dueThreshold(days)).toBe(bracket);
  });

  it('gives the smallest threshold not below the days left, for every day of the window', () => {
    for (let d = 0; d <= 60; d += 1) {
      expect(dueThreshold(d)).toBe(Math.min(...EXPIRY_THRESHOLDS.filter((t) => t >= d)));
    }
  });
});

describe('localDate', () => {
  it('puts 2027-01-10T02:00Z on 9 January in Los Angeles and 10 January in Tokyo', () => {
    expect(localDate('2027-01-10T02:00:00Z', 'America/Los_Angeles')).toEqual({
      year: 2027,
      month: 1,
      day: 9,
    });
    expect(localDate('2027-01-10T02:00:00Z', 'Asia/Tokyo')).toEqual({ year: 2027, month: 1, day: 10 });
  });

  it('throws a RangeError for an unreadable instant', () => {
    expect(() => localDate('soon', 'UTC')).toThrow(RangeError);
  });
});

describe('calendarDaysLeft', () => {
  it('counts to the local date of the expiry in each zone when the zones differ', () => {
    // Both are on 8 January at `now`; the expiry is 9 January in LA and 10 January in Tokyo.
    const now = new Date('2027-01-08T12:00:00Z');
    expect(calendarDaysLeft('2027-01-10T02:00:00Z', now, 'America/Los_Angeles')).toBe(1);
    expect(calendarDaysLeft('2027-01-10T02:00:00Z', now, 'Asia/Tokyo')).toBe(2);
  });

  it('counts an expiry at 00:30 local time tomorrow as 1 day, though it is 90 minutes away', () => {
    const now = new Date('2027-01-14T14:00:00Z'); // 23:00 on 14 January in Tokyo
    expect(calendarDaysLeft('2027-01-14T15:30:00Z', now, 'Asia/Tokyo')).toBe(1);
  });

  it('counts an expiry later today as 0 days', () => {
    const now = new Date('2027-01-14T15:10:00Z'); // 00:10 on 15 January in Tokyo
    expect(calendarDaysLeft('2027-01-15T14:50:00Z', now, 'Asia/Tokyo')).toBe(0);
  });

  it('counts calendar days across the spring-forward change, when two days are 47 hours', () => {
    // New York: clocks go from 02:00 to 03:00 on 14 March 2027.
    const now = new Date('2027-03-13T05:00:00Z'); // 00:00 EST, 13 March
    expect(calendarDaysLeft('2027-03-15T04:00:00Z', now, 'America/New_York')).toBe(2); // 00:00 EDT, 15 March
  });

  it('counts calendar days across the fall-back change, when a day has 25 hours', () => {
    // New York: clocks go from 02:00 back to 01:00 on 1 November 2026.
    const now = new Date('2026-10-31T04:00:00Z'); // 00:00 EDT, 31 October
    expect(calendarDaysLeft('2026-11-02T04:30:00Z', now, 'America/New_York')).toBe(1); // 23:30 EST, 1 November
  });

  it('counts 60 days over a European summer-time change as 60', () => {
    const now = new Date('2027-02-15T09:00:00Z');
    expect(calendarDaysLeft('2027-04-16T08:00:00Z', now, 'Europe/London')).toBe(60);
  });

  it('is negative once the expiry date has passed, and NaN for an unreadable expiry', () => {
    const now = new Date('2027-01-15T12:00:00Z');
    expect(calendarDaysLeft('2027-01-14T12:00:00Z', now, 'UTC')).toBe(-1);
    expect(calendarDaysLeft('not a date', now, 'UTC')).toBeNaN();
  });

  it('agrees with days of 24 hours in UTC, for any instants', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.integer({ min: -400 * DAY_MS, max: 400 * DAY_MS }),
        (now, offset) => {
          const expiresAt = new Date(now + offset).toISOString();
          const midnight = (t: number) => Math.floor(t / DAY_MS);
          expect(calendarDaysLeft(expiresAt, new Date(now), 'UTC')).toBe(
            midnight(now + offset) - midnight(now),
          );
        },
      ),
    );
  });
});

describe('noticeWindowEnd', () => {
  const ZONES = [
    'UTC',
    'America/New_York',
    'America/Los_Angeles',
    'Europe/London',
    'Asia/Tokyo',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
  ];

  it(`is ${NOTICE_WINDOW_DAYS} days after now`, () => {
    const now = new Date('2026-09-03T04:00:00Z');
    expect(noticeWindowEnd(now).getTime() - now.getTime()).toBe(NOTICE_WINDOW_DAYS * DAY_MS);
  });

  it('holds an expiry late on day 60 after an autumn clock change (more than 61 days away)', () => {
    const now = new Date('2026-09-03T04:00:00Z'); // 00:00 EDT, 3 September
    const expiresAt = '2026-11-03T04:59:00Z'; // 23:59 EST, 2 November: 61 days and 59 minutes later
    expect(calendarDaysLeft(expiresAt, now, 'America/New_York')).toBe(60);
    expect(Date.parse(expiresAt)).toBeLessThan(noticeWindowEnd(now).getTime());
  });

  it('holds every expiry that is 60 calendar days away or less, in any zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2034, 0, 1) }),
        fc.integer({ min: 1, max: 63 * DAY_MS }),
        fc.constantFrom(...ZONES),
        (now, offset, zone) => {
          const expiresAt = new Date(now + offset).toISOString();
          if (calendarDaysLeft(expiresAt, new Date(now), zone) <= 60) {
            expect(now + offset).toBeLessThan(noticeWindowEnd(new Date(now)).getTime());
          }
        },
      ),
    );
  });
});

describe('noticeZone', () => {
  it('keeps a zone Intl knows and falls back to UTC for one it does not', () => {
    expect(noticeZone('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(noticeZone('Mars/Olympus_Mons')).toBe('UTC');
  });

  it('uses UTC for a business stored without a time zone', () => {
    expect(noticeZone(undefined)).toBe('UTC');
    expect(noticeZone('')).toBe('UTC');
  });
});

describe('formatDate', () => {
  it('names weekday, day, month and year in the zone', () => {
    expect(formatDate('2027-01-15T00:30:00Z', 'UTC')).toBe('Friday, 15 January 2027');
    expect(formatDate('2027-01-15T00:30:00Z', 'America/Los_Angeles')).toBe('Thursday, 14 January 2027');
    expect(formatTime('2027-01-15T00:30:00Z', 'Asia/Tokyo')).toBe('09:30');
    expect(formatTime('2027-01-15T00:30:00Z', 'UTC')).toBe('00:30');
  });
});
