import { describe, expect, it } from 'vitest';
import { noticeWindowEnd } from '../../../lib/domain/notices/expiry.js';
import {
  EXPIRY_NOTICE_CONCURRENCY,
  expiryNoticeMail,
  sendExpiryNotices,
} from '../../../lib/domain/notices/sweep.js';
import { aBusiness, aLicense, CONSOLE_URL, claimKey, DAY_MS, world } from './fakes.js';

const NOW = new Date('2026-11-16T08:00:00.000Z');
/** An expiry `days` calendar days after NOW in UTC (at noon, so zone edges do not matter). */
const inDays = (days: number, from: Date = NOW) =>
  new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + days, 12)).toISOString();
const later = (days: number) => new Date(NOW.getTime() + days * DAY_MS);

describe('sendExpiryNotices', () => {
  it('reads the window from now to noticeWindowEnd(now)', async () => {
    const w = world([]);
    await sendExpiryNotices(w.deps, NOW);
    expect(w.licenses.reads).toEqual([{ from: NOW, to: noticeWindowEnd(NOW) }]);
  });

  it('sends the notice of the bracket the license is in, once, when it is due (R10)', async () => {
    const w = world([aLicense({ expiresAt: inDays(45) })]);

    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary).toEqual({ examined: 1, due: 1, sent: 1, alreadySent: 0, failed: 0, skipped: 0 });
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]?.to).toBe('owner@example.com');
    expect(w.mailer.sent[0]?.subject).toBe('Your Acme Credits license expires in 45 days');
    expect([...w.claims.state]).toEqual([
      [claimKey({ licenseKey: 'contract-0001', expiresAt: inDays(45), threshold: 60 }), 'sent'],
    ]);
  });

  it('sends nothing when a license is not due yet (61 days)', async () => {
    const w = world([aLicense({ expiresAt: inDays(61) })]);
    const summary = await sendExpiryNotices(w.deps, NOW);
    expect(summary).toMatchObject({ examined: 1, due: 0, sent: 0 });
    expect(w.claims.state.size).toBe(0);
  });

  it('sends nothing on a rerun that finds the claims of the first run', async () => {
    const w = world([
      aLicense({ expiresAt: inDays(45) }),
      aLicense({ licenseKey: 'contract-0002', expiresAt: inDays(5) }),
    ]);
    await sendExpiryNotices(w.deps, NOW);

    const rerun = await sendExpiryNotices(w.deps, new Date(NOW.getTime() + 60_000));

    expect(rerun).toEqual({ examined: 2, due: 2, sent: 0, alreadySent: 2, failed: 0, skipped: 0 });
    expect(w.mailer.sent).toHaveLength(2);
  });

  it('sends each notice once when two runs overlap', async () => {
    const licenses = Array.from({ length: 40 }, (_, i) =>
      aLicense({ licenseKey: `contract-${i}`, expiresAt: inDays(1 + (i % 60)) }),
    );
    const w = world(licenses);

    const [a, b] = await Promise.all([sendExpiryNotices(w.deps, NOW), sendExpiryNotices(w.deps, NOW)]);

    expect(w.mailer.sent).toHaveLength(40);
    expect(a.sent + b.sent).toBe(40);
    expect(a.alreadySent + b.alreadySent).toBe(40);
    expect(a.sent).toBeGreaterThan(0);
    expect(b.sent).toBeGreaterThan(0);
    expect(new Set(w.mailer.sent.map((m) => m.text)).size).toBe(40);
  });

  it('sends the 60, 30 and 7 day notices once each when run every day of the term', async () => {
    const expiresAt = inDays(75);
    const w = world([aLicense({ expiresAt })]);

    for (let day = 0; day <= 76; day += 1) await sendExpiryNotices(w.deps, later(day));

    expect(w.mailer.sent.map((m) => m.subject)).toEqual([
      'Your Acme Credits license expires in 60 days',
      'Your Acme Credits license expires in 30 days',
      'Your Acme Credits license expires in 7 days',
    ]);
  });

  it('catches up with the current bracket after missed runs, never sending a stale notice', async () => {
    const w = world([aLicense({ expiresAt: inDays(5) })]);

    await sendExpiryNotices(w.deps, NOW);

    expect(w.mailer.sent.map((m) => m.subject)).toEqual(['Your Acme Credits license expires in 5 days']);
    expect([...w.claims.state.keys()]).toEqual([
      claimKey({ licenseKey: 'contract-0001', expiresAt: inDays(5), threshold: 7 }),
    ]);
  });

  it('starts the notices again for the new term after a renewal (R13)', async () => {
    const first = inDays(20);
    const w = world([aLicense({ expiresAt: first })]);
    await sendExpiryNotices(w.deps, NOW);
    expect(w.mailer.sent).toHaveLength(1);

    // Renewed for a year: nothing is due until 60 days before the new expiry.
    const renewed = inDays(20 + 365);
    w.licenses.items = [aLicense({ expiresAt: renewed })];
    expect((await sendExpiryNotices(w.deps, later(1))).examined).toBe(0);
    const summary = await sendExpiryNotices(w.deps, later(20 + 365 - 50));

    expect(summary).toMatchObject({ due: 1, sent: 1, alreadySent: 0 });
    expect(w.mailer.sent.map((m) => m.subject)).toEqual([
      'Your Acme Credits license expires in 20 days',
      'Your Acme Credits license expires in 50 days',
    ]);
  });

  it('sends the 30-day notice of a new term even when the old term had one (R13)', async () => {
    const w = world([aLicense({ expiresAt: inDays(20) })]);
    await sendExpiryNotices(w.deps, NOW);

    w.licenses.items = [aLicense({ expiresAt: inDays(25) })];
    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary).toMatchObject({ sent: 1, alreadySent: 0 });
    expect(w.claims.state.size).toBe(2);
  });

  it('releases the claim of a failed mail, goes on with the others, and the next run sends it', async () => {
    const w = world([
      aLicense({ licenseKey: 'contract-fails', expiresAt: inDays(10) }),
      aLicense({ licenseKey: 'contract-ok', expiresAt: inDays(12) }),
    ]);
    w.mailer.fail = (m) => m.text.includes('contract-fails');

    const first = await sendExpiryNotices(w.deps, NOW);

    expect(first).toEqual({ examined: 2, due: 2, sent: 1, alreadySent: 0, failed: 1, skipped: 0 });
    expect(w.claims.released.map((n) => n.licenseKey)).toEqual(['contract-fails']);
    expect(w.log.warnings.map((l) => l.message)).toEqual([
      'expiry notice: the mail failed; released for a later run',
    ]);

    w.mailer.fail = undefined;
    const next = await sendExpiryNotices(w.deps, later(1));

    expect(next).toMatchObject({ sent: 1, alreadySent: 1, failed: 0 });
    expect(w.mailer.sent.map((m) => m.subject)).toEqual([
      'Your Acme Credits license expires in 12 days',
      'Your Acme Credits license expires in 9 days',
    ]);
  });

  it('counts a failed claim as failed, sends nothing for it and goes on', async () => {
    const w = world([
      aLicense({ licenseKey: 'contract-a', expiresAt: inDays(3) }),
      aLicense({ licenseKey: 'contract-b', expiresAt: inDays(3) }),
    ]);
    w.claims.failClaim = (n) => n.licenseKey === 'contract-a';

    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary).toMatchObject({ due: 2, sent: 1, failed: 1 });
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]?.text).toContain('contract-b');
  });

  it('counts a mail as sent when only recording it fails, and logs it', async () => {
    const w = world([aLicense({ expiresAt: inDays(3) })]);
    w.claims.failSent = () => true;

    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary).toMatchObject({ sent: 1, failed: 0 });
    expect(w.log.warnings.map((l) => l.message)).toEqual(['expiry notice: sent, but recording it failed']);
    expect(
      w.claims.state.get(claimKey({ licenseKey: 'contract-0001', expiresAt: inDays(3), threshold: 7 })),
    ).toBe('sending');
  });

  it('skips and logs a license whose business does not exist, without claiming', async () => {
    const w = world([aLicense({ businessId: 'biz-GONEGONEGONEGONEGONE', expiresAt: inDays(3) })]);

    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary).toEqual({ examined: 1, due: 0, sent: 0, alreadySent: 0, failed: 0, skipped: 1 });
    expect(w.claims.state.size).toBe(0);
    expect(w.mailer.sent).toHaveLength(0);
    expect(w.log.warnings).toEqual([
      {
        message: 'expiry notice skipped: the license names no registered business',
        data: { licenseKey: 'contract-0001', businessId: 'biz-GONEGONEGONEGONEGONE' },
      },
    ]);
  });

  it('skips a license with an unreadable expiry', async () => {
    const w = world([]);
    w.licenses.list = async function* () {
      yield aLicense({ expiresAt: 'next year' });
    };
    expect(await sendExpiryNotices(w.deps, NOW)).toMatchObject({ examined: 1, skipped: 1, sent: 0 });
  });

  it('sends nothing for a license that expired earlier today', async () => {
    const w = world([]);
    w.licenses.list = async function* () {
      yield aLicense({ expiresAt: new Date(NOW.getTime() - 60_000).toISOString() });
    };
    expect(await sendExpiryNotices(w.deps, NOW)).toMatchObject({ examined: 1, due: 0, sent: 0, skipped: 0 });
  });

  it('reads each business once per run, however many licenses it holds', async () => {
    const w = world(
      Array.from({ length: 20 }, (_, i) => aLicense({ licenseKey: `contract-${i}`, expiresAt: inDays(3) })),
    );
    await sendExpiryNotices(w.deps, NOW);
    expect(w.businesses.reads).toBe(1);
    expect(w.mailer.sent).toHaveLength(20);
  });

  it('counts days in the business time zone (R8): the same expiry is in different brackets', async () => {
    // 2027-01-10T02:00Z is 9 January in Los Angeles (30 days after 10 December), 10 January in Tokyo (31).
    const la = aBusiness({
      businessId: 'biz-LALALALALALALALALALA',
      timeZone: 'America/Los_Angeles',
      primaryEmail: 'la@example.com',
    });
    const tokyo = aBusiness({
      businessId: 'biz-TOKYOTOKYOTOKYOTOKY',
      timeZone: 'Asia/Tokyo',
      primaryEmail: 'tokyo@example.com',
    });
    const expiresAt = '2027-01-10T02:00:00.000Z';
    const w = world(
      [
        aLicense({ licenseKey: 'contract-la', businessId: la.businessId, expiresAt }),
        aLicense({ licenseKey: 'contract-tokyo', businessId: tokyo.businessId, expiresAt }),
      ],
      [la, tokyo],
    );

    await sendExpiryNotices(w.deps, new Date('2026-12-10T10:00:00Z'));

    const byTo = Object.fromEntries(w.mailer.sent.map((m) => [m.to, m]));
    expect(byTo['la@example.com']?.subject).toBe('Your Acme Credits license expires in 30 days');
    expect(byTo['la@example.com']?.text).toContain(
      'on Saturday, 9 January 2027 at 18:00 (America/Los_Angeles time)',
    );
    expect(byTo['tokyo@example.com']?.subject).toBe('Your Acme Credits license expires in 31 days');
    expect(byTo['tokyo@example.com']?.text).toContain(
      'on Sunday, 10 January 2027 at 11:00 (Asia/Tokyo time)',
    );
    expect([...w.claims.state.keys()].sort()).toEqual([
      claimKey({ licenseKey: 'contract-la', expiresAt, threshold: 30 }),
      claimKey({ licenseKey: 'contract-tokyo', expiresAt, threshold: 60 }),
    ]);
  });

  it(`keeps at most ${EXPIRY_NOTICE_CONCURRENCY} notices in flight, and uses them`, async () => {
    const w = world(
      Array.from({ length: 100 }, (_, i) =>
        aLicense({ licenseKey: `contract-${i}`, expiresAt: inDays(1 + (i % 60)) }),
      ),
    );

    const summary = await sendExpiryNotices(w.deps, NOW);

    expect(summary.sent).toBe(100);
    expect(w.mailer.maxInFlight).toBe(EXPIRY_NOTICE_CONCURRENCY);
    expect(w.claims.maxActive).toBe(EXPIRY_NOTICE_CONCURRENCY);
  });

  it('keeps to a smaller concurrency when it is given one', async () => {
    const w = world(
      Array.from({ length: 30 }, (_, i) => aLicense({ licenseKey: `contract-${i}`, expiresAt: inDays(3) })),
    );
    await sendExpiryNotices(w.deps, NOW, { concurrency: 3 });
    expect(w.mailer.maxInFlight).toBe(3);
    expect(w.mailer.sent).toHaveLength(30);
  });

  it('fails when the listing fails, after the notices in flight have settled', async () => {
    const w = world([]);
    w.licenses.list = async function* () {
      yield aLicense({ expiresAt: inDays(3) });
      throw new Error('index read failed');
    };

    await expect(sendExpiryNotices(w.deps, NOW)).rejects.toThrow('index read failed');
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.claims.active).toBe(0);
  });

  it('mails each business its own licenses only', async () => {
    const a = aBusiness({
      businessId: 'biz-AAAAAAAAAAAAAAAAAAAA',
      name: 'Alpha Ltd',
      primaryEmail: 'alpha@a.example',
    });
    const b = aBusiness({
      businessId: 'biz-BBBBBBBBBBBBBBBBBBBB',
      name: 'Beta GmbH',
      primaryEmail: 'beta@b.example',
    });
    const w = world(
      [
        aLicense({
          licenseKey: 'contract-alpha',
          businessId: a.businessId,
          credits: 1111,
          expiresAt: inDays(7),
        }),
        aLicense({
          licenseKey: 'contract-beta',
          businessId: b.businessId,
          credits: 2222,
          expiresAt: inDays(7),
        }),
      ],
      [a, b],
    );

    await sendExpiryNotices(w.deps, NOW);

    const alpha = w.mailer.sent.find((m) => m.to === 'alpha@a.example');
    expect(alpha?.text).toContain('Alpha Ltd');
    expect(alpha?.text).toContain('contract-alpha');
    expect(alpha?.text).toContain('1,111');
    for (const foreign of ['Beta', 'beta@b.example', 'contract-beta', '2,222', b.businessId, a.businessId]) {
      expect(`${alpha?.subject}\n${alpha?.text}`).not.toContain(foreign);
    }
    // No address in the text, and no link but the console's.
    expect(alpha?.text).not.toMatch(/@/);
    expect(alpha?.text.match(/https?:\/\/\S+/g)).toEqual([CONSOLE_URL]);
  });
});

describe('expiryNoticeMail', () => {
  const business = aBusiness({ timeZone: 'Asia/Tokyo' });
  const ctx = { productName: 'Acme Credits', consoleUrl: CONSOLE_URL };
  const notice = {
    licenseKey: 'contract-0001',
    kind: 'contract' as const,
    businessId: business.businessId,
    productCode: 'a1b2c3d4e5credits0example',
    expiresAt: '2027-01-15T00:30:00.000Z',
    threshold: 30 as const,
    daysLeft: 30,
    credits: 5000,
    autoRenew: false,
  };

  it('names business, credits, expiry in the business zone, what happens then, and the console', () => {
    const mail = expiryNoticeMail(notice, business, ctx);

    expect(mail.to).toBe('owner@example.com');
    expect(mail.subject).toBe('Your Acme Credits license expires in 30 days');
    expect(mail.text).toContain(
      'The Acme Credits license of Example Corp expires in 30 days, on Friday, 15 January 2027 at 09:30 (Asia/Tokyo time).',
    );
    expect(mail.text).toContain('License: AWS Marketplace contract contract-0001');
    expect(mail.text).toContain('Credits: 5,000');
    // R2/R10: at expiry the credits stop counting towards the total.
    expect(mail.text).toContain("its 5,000 credits stop counting towards Example Corp's total");
    expect(mail.text).toContain('renew the subscription on AWS Marketplace');
    expect(mail.text).toContain('We will remind you again 7 days before that date.');
    expect(mail.text).toContain(`Your licenses: ${CONSOLE_URL}`);
  });

  it('says a 7-day notice is the last, and says "today" on the day of expiry', () => {
    const mail = expiryNoticeMail({ ...notice, threshold: 7, daysLeft: 0 }, business, ctx);
    expect(mail.subject).toBe('Your Acme Credits license expires today');
    expect(mail.text).toContain('This is the last reminder for this term.');
  });

  it('names the later reminders in a 60-day notice', () => {
    const mail = expiryNoticeMail({ ...notice, threshold: 60, daysLeft: 60 }, business, ctx);
    expect(mail.text).toContain('We will remind you again 30 and 7 days before that date.');
  });

  it('says an auto-renewing contract renews automatically on its date instead (R1)', () => {
    const mail = expiryNoticeMail({ ...notice, autoRenew: true }, business, ctx);

    expect(mail.subject).toBe('Your Acme Credits license renews automatically in 30 days');
    expect(mail.text).toContain(
      'The Acme Credits license of Example Corp renews automatically on Friday, 15 January 2027 at 09:30 (Asia/Tokyo time), in 30 days.',
    );
    expect(mail.text).toContain('nothing you need to do');
    expect(mail.text).not.toContain('expires in');
  });

  it('tells the holder of a direct license to ask sales, not AWS Marketplace', () => {
    const mail = expiryNoticeMail({ ...notice, kind: 'direct', licenseKey: 'DEAL-2027-9' }, business, ctx);
    expect(mail.text).toContain('License: DEAL-2027-9 (not bought on AWS Marketplace)');
    expect(mail.text).toContain('ask your sales representative to renew it');
    expect(mail.text).not.toContain('renew the subscription on AWS Marketplace');
  });

  it('shows dates in UTC when the business zone is unknown to Intl', () => {
    const mail = expiryNoticeMail(notice, aBusiness({ timeZone: 'Mars/Olympus_Mons' }), ctx);
    expect(mail.text).toContain('on Friday, 15 January 2027 at 00:30 (UTC time)');
  });

  it('refuses to address a notice to another business', () => {
    expect(() =>
      expiryNoticeMail(notice, aBusiness({ businessId: 'biz-BBBBBBBBBBBBBBBBBBBB' }), ctx),
    ).toThrow(/addressed to business/);
  });
});
