/**
 * When a license's expiry notices are due (R10, R13), counted in calendar days of the business's
 * time zone (R8): a business in Tokyo and one in Los Angeles see the same expiry instant on
 * different dates, and "expires in 7 days" must be true on the date each of them reads it.
 */

/** Days before expiry at which the primary user is mailed: the first at 60 days, as R10 asks. */
export const EXPIRY_THRESHOLDS = [60, 30, 7] as const;
export type ExpiryThreshold = (typeof EXPIRY_THRESHOLDS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How far ahead the sweep reads, in days of 24 hours. A license whose local expiry date is 60
 * calendar days away expires before the end of that local day, so less than 61 days after the
 * start of today in that zone, which is at most `now`; one more day covers the hour or two a
 * daylight-saving change in between can add. This is one day more than "60 + 1": with exactly
 * 61 days an expiry late on day 60 after an autumn clock change falls outside the read and gets
 * its 60-day notice a day late. Licenses read beyond 60 days are simply not due yet.
 */
export const NOTICE_WINDOW_DAYS = EXPIRY_THRESHOLDS[0] + 2;

/** The instant up to which the sweep must read expiring licenses (from `now`). */
export function noticeWindowEnd(now: Date): Date {
  return new Date(now.getTime() + NOTICE_WINDOW_DAYS * DAY_MS);
}

/**
 * The notice bracket a license is in with `daysLeft` calendar days to go: 60 for 31–60, 30 for
 * 8–30, 7 for 0–7, none otherwise (more than 60, already past, or not a number). Taking the
 * current bracket rather than "the day equals a threshold" means a missed daily run catches up
 * the next day, and a license first seen at 5 days gets the 7-day notice only, never a stale
 * 60-day one.
 */
export function dueThreshold(daysLeft: number): ExpiryThreshold | undefined {
  if (!Number.isInteger(daysLeft) || daysLeft < 0) return undefined;
  if (daysLeft <= 7) return 7;
  if (daysLeft <= 30) return 30;
  if (daysLeft <= 60) return 60;
  return undefined;
}

/** A calendar date: month 1–12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

// One formatter per zone and kind: building an Intl object costs far more than using one, and a
// sweep formats thousands of dates in a few hundred zones at most.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: 'ymd' | 'date' | 'time', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'ymd'
        ? { year: 'numeric', month: 'numeric', day: 'numeric' }
        : kind === 'date'
          ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
          : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    formatters.set(key, format);
  }
  return format;
}

/**
 * The zone dates are computed and shown in: the business's, or UTC when Intl does not know it
 * (a zone dropped from the IANA database since the business chose it), as the setup pages do.
 */
export function noticeZone(timeZone: string | undefined): string {
  if (typeof timeZone !== 'string' || timeZone === '') return 'UTC';
  try {
    formatter('ymd', timeZone);
    return timeZone;
  } catch {
    return 'UTC';
  }
}

function toDate(instant: Date | string): Date {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a date: ${String(instant)}`);
  return date;
}

function parts(
  format: Intl.DateTimeFormat,
  date: Date,
): Partial<Record<Intl.DateTimeFormatPartTypes, string>> {
  const out: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of format.formatToParts(date)) out[part.type] = part.value;
  return out;
}

/** The calendar date of `instant` in `timeZone`. Throws RangeError for an unreadable instant or zone. */
export function localDate(instant: Date | string, timeZone: string): LocalDate {
  const p = parts(formatter('ymd', timeZone), toDate(instant));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day) };
}

/**
 * Calendar days from today's date in `timeZone` to the date of `expiresAt` there: an expiry at
 * 00:30 local time tomorrow is 1 day away, one later today 0. Dates are compared as Y-M-D (as
 * day numbers of the proleptic calendar), never as milliseconds, so a 23- or 25-hour day at a
 * daylight-saving change counts as one day. NaN when `expiresAt` is not a date.
 */
export function calendarDaysLeft(expiresAt: string, now: Date, timeZone: string): number {
  if (Number.isNaN(Date.parse(expiresAt))) return Number.NaN;
  const dayNumber = (d: LocalDate) => Date.UTC(d.year, d.month - 1, d.day) / DAY_MS;
  return dayNumber(localDate(expiresAt, timeZone)) - dayNumber(localDate(now, timeZone));
}

/** The date of `instant` in `timeZone`, unambiguous in any English: "Friday, 15 January 2027". */
export function formatDate(instant: Date | string, timeZone: string): string {
  const p = parts(formatter('date', timeZone), toDate(instant));
  return `${p.weekday}, ${p.day} ${p.month} ${p.year}`;
}

/** The wall-clock time of `instant` in `timeZone`, 24-hour: "00:30". */
export function formatTime(instant: Date | string, timeZone: string): string {
  const p = parts(formatter('time', timeZone), toDate(instant));
  return `${p.hour}:${p.minute}`;
}
