import { describe, expect, it } from 'vitest';
import { type BusinessDetail, type OverAllocatedList, run } from '../../../cli/sales/main.js';
import {
  BUSINESS,
  BUSINESS_ID,
  CREDENTIALS,
  fakeApi,
  LICENSES,
  LOCAL_URL,
  sink,
  USAGE,
} from '../licenses-cli/fake-api.js';

const DETAIL: BusinessDetail = { business: BUSINESS.business, usage: USAGE, licenses: LICENSES.licenses };
const OVER: OverAllocatedList = {
  businesses: [
    {
      businessId: BUSINESS_ID,
      name: 'Acme GmbH',
      primaryEmail: 'ops@acme.example',
      total: 100,
      allocated: 150,
      balance: -50,
      overAllocatedBy: 50,
      overAllocatedSince: '2026-04-03T09:30:00.000Z',
    },
  ],
  more: true,
  asOf: '2026-05-01T10:00:00.000Z',
};

async function runSales(argv: string[], body: unknown) {
  const api = fakeApi(() => ({ body }));
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, {
    stdout,
    stderr,
    fetch: api.fetch,
    credentials: async () => CREDENTIALS,
    env: { SALES_URL: LOCAL_URL },
  });
  return { code, stdout: stdout.text, stderr: stderr.text, sent: api.sent };
}

describe('sales CLI businesses', () => {
  it('shows one business with its credits, licenses and allocations', async () => {
    const { code, stdout, sent } = await runSales(['business', BUSINESS_ID], DETAIL);
    expect(code).toBe(0);
    expect(sent[0]?.path).toBe(`/businesses/${BUSINESS_ID}`);
    expect(sent[0]?.verified.ok).toBe(true);
    expect(stdout).toContain('Business Acme GmbH');
    expect(stdout).toMatch(/Balance\s+1,050/);
    expect(stdout).toContain('Licenses (2)');
    expect(stdout).toMatch(/prod-credits~L~l-abc\s+marketplace\s+active\s+1,000\s+2027-03-31\s+2/);
    expect(stdout).toMatch(/endpoint-security\s+50\s+150\s+2026-04-02/);
  });

  it('lists the over-allocated businesses and says when there are more', async () => {
    const { stdout, sent } = await runSales(['over-allocated', '--limit', '1'], OVER);
    expect(sent[0]?.path).toBe('/businesses');
    expect(Object.fromEntries(sent[0]?.query ?? [])).toEqual({ overAllocated: 'true', limit: '1' });
    expect(stdout).toMatch(/biz-Xq3vA1b2C3d4E5f6G7h8\s+Acme GmbH\s+100\s+150\s+50\s+2026-04-03 09:30/);
    expect(stdout).toContain('1 business (more are over-allocated');
    const none = await runSales(['over-allocated'], { businesses: [], more: false, asOf: '' });
    expect(none.stdout).toBe('No business is over-allocated.\n');
  });

  it("shows the activating business's credits in a contract", async () => {
    const { stdout } = await runSales(['contract', 'prod-credits~L~l-abc'], {
      contract: {
        contractId: 'prod-credits~L~l-abc',
        productCode: 'prod-credits',
        status: 'active',
        activeCredits: 1000,
        expiresAt: '2027-03-31T23:59:59.000Z',
        createdAt: '2026-03-01T00:00:00.000Z',
        updatedAt: '2026-03-01T00:00:00.000Z',
      },
      items: [],
      audit: [],
      business: BUSINESS.business,
      businessCredits: { total: 1200, allocated: 150, balance: 1050, overAllocatedBy: 0 },
    });
    expect(stdout).toMatch(/Credits\s+1,200/);
    expect(stdout).toMatch(/Balance\s+1,050/);
    expect(stdout).not.toContain('Over-allocated');
  });
});
