import { describe, expect, it } from 'vitest';
import {
  activationNoticeMail,
  cancellationNoticeMail,
  type SalesDigest,
  salesDigestMail,
} from '../../../lib/domain/notices/sales.js';

const TO = ['sales@acme.example', ' Sales@Acme.example ', 'lead@acme.example', ''];

const contract = {
  to: TO,
  productName: 'Acme Credits',
  contractId: 'contract-0001',
  businessId: 'biz-AAAAAAAAAAAAAAAAAAAA',
  businessName: 'Example Corp',
  primaryEmail: 'owner@example.com',
  credits: 5000,
  expiresAt: '2027-01-15T00:30:00.000Z',
};

describe('activationNoticeMail', () => {
  it('sends one message per distinct sales address, saying who activated what (R3)', () => {
    const mails = activationNoticeMail({ ...contract, activatedAt: '2026-01-15T09:12:00.000Z' });

    expect(mails.map((m) => m.to)).toEqual(['sales@acme.example', 'lead@acme.example']);
    const [mail] = mails;
    expect(mail?.subject).toBe(
      'Acme Credits: Example Corp (biz-AAAAAAAAAAAAAAAAAAAA) activated contract contract-0001',
    );
    expect(mail?.text.split('\n')).toEqual([
      'Example Corp (biz-AAAAAAAAAAAAAAAAAAAA) activated a Acme Credits contract.',
      '',
      'Business:     Example Corp (biz-AAAAAAAAAAAAAAAAAAAA)',
      'Primary user: owner@example.com',
      'Contract:     contract-0001',
      'Credits:      5,000',
      'Expires:      2027-01-15 00:30 UTC',
      'Activated:    2026-01-15 09:12 UTC',
    ]);
    expect(mails[1]?.text).toBe(mail?.text);
  });

  it('sends nothing when there is no sales address', () => {
    expect(activationNoticeMail({ ...contract, to: [], activatedAt: '2026-01-15T09:12:00.000Z' })).toEqual(
      [],
    );
  });

  it('keeps a business name with a line break on one line', () => {
    const [mail] = activationNoticeMail({
      ...contract,
      businessName: 'Evil\nSubject: hi',
      activatedAt: '2026-01-15T09:12:00.000Z',
    });
    expect(mail?.subject).not.toContain('\n');
    expect(mail?.text).toContain('Business:     Evil Subject: hi (biz-AAAAAAAAAAAAAAAAAAAA)');
  });
});

describe('cancellationNoticeMail', () => {
  it('says which contract ended, for which business, and the credits withdrawn', () => {
    const [mail] = cancellationNoticeMail({
      ...contract,
      endedAt: '2026-06-01T00:00:00.000Z',
      creditsWithdrawn: 5000,
    });

    expect(mail?.subject).toBe(
      'Acme Credits: contract contract-0001 cancelled by Example Corp (biz-AAAAAAAAAAAAAAAAAAAA)',
    );
    expect(mail?.text).toContain('Acme Credits contract contract-0001 was cancelled.');
    expect(mail?.text).toContain('Withdrawn:     5,000 credits no longer count towards the total');
    expect(mail?.text).toContain('Was to expire: 2027-01-15 00:30 UTC');
    expect(mail?.text).toContain('Ended:         2026-06-01 00:00 UTC');
  });

  it('says when the contract was cancelled before any business activated it', () => {
    const [mail] = cancellationNoticeMail({
      to: ['sales@acme.example'],
      productName: 'Acme Credits',
      contractId: 'contract-0002',
      credits: 100,
      expiresAt: '2027-01-15T00:30:00.000Z',
      endedAt: '2026-02-01T00:00:00.000Z',
      creditsWithdrawn: 0,
    });

    expect(mail?.subject).toBe('Acme Credits: contract contract-0002 cancelled');
    expect(mail?.text).toContain('was cancelled before any business activated it.');
    expect(mail?.text).toContain('Business:      not activated');
    expect(mail?.text).toContain('Primary user:  unknown');
  });
});

describe('salesDigestMail', () => {
  const digest: SalesDigest = {
    to: ['sales@acme.example'],
    productName: 'Acme Credits',
    date: '2026-11-16',
    stuckSetups: [
      {
        contractId: 'contract-young',
        productCode: 'prod-a',
        createdAt: '2026-11-16T02:00:00.000Z',
        ageHours: 5.25,
      },
      {
        contractId: 'contract-old',
        productCode: 'prod-a',
        createdAt: '2026-11-14T02:00:00.000Z',
        ageHours: 53,
        customerAWSAccountId: '111122223333',
      },
    ],
    overAllocated: [
      {
        businessId: 'biz-AAAAAAAAAAAAAAAAAAAA',
        businessName: 'Example Corp',
        since: '2026-11-10T08:00:00.000Z',
        overBy: 1200,
      },
    ],
  };

  it('is undefined when there is nothing to report: no empty digest', () => {
    expect(salesDigestMail({ ...digest, stuckSetups: [], overAllocated: [] })).toBeUndefined();
  });

  it('puts the counts in the subject and the rows in aligned columns, stuck setups oldest first (R4, R9)', () => {
    const [mail, ...rest] = salesDigestMail(digest) ?? [];

    expect(rest).toEqual([]);
    expect(mail?.to).toBe('sales@acme.example');
    expect(mail?.subject).toBe(
      'Acme Credits sales digest 2026-11-16: 2 setups stuck, 1 business over-allocated',
    );
    expect(mail?.text.split('\n')).toEqual([
      'Acme Credits sales digest for 2026-11-16: 2 setups stuck, 1 business over-allocated.',
      '',
      'Setups not activated within the four-hour window (2)',
      '  Contract        Product  Started               Age     AWS account',
      '  --------------  -------  --------------------  ------  ------------',
      '  contract-old    prod-a   2026-11-14 02:00 UTC  53.0 h  111122223333',
      '  contract-young  prod-a   2026-11-16 02:00 UTC  5.3 h   -',
      '',
      'Over-allocated businesses (1)',
      '  Business                  Name          Since                 Over by',
      '  ------------------------  ------------  --------------------  -------------',
      '  biz-AAAAAAAAAAAAAAAAAAAA  Example Corp  2026-11-10 08:00 UTC  1,200 credits',
    ]);
  });

  it('says "none" for an empty list and notes lists that were cut short', () => {
    const [mail] = salesDigestMail({ ...digest, stuckSetups: [], truncated: true }) ?? [];

    expect(mail?.subject).toBe(
      'Acme Credits sales digest 2026-11-16: 0 setups stuck, 1 business over-allocated (more not shown)',
    );
    expect(mail?.text).toContain('The lists are cut short: there are more than shown here.');
    expect(mail?.text).toContain('Setups not activated within the four-hour window (0)\n  none');
  });

  it('sends one digest per distinct address', () => {
    expect(salesDigestMail({ ...digest, to: TO })?.map((m) => m.to)).toEqual([
      'sales@acme.example',
      'lead@acme.example',
    ]);
  });
});
