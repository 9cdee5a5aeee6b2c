import { spawnSync } from 'node:child_process';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractDetail, ContractPage, ContractRow } from '../../lib/adapters/dynamodb/sales-reader.js';
import type { ConsoleState } from '../../local/marketplace-console/index.js';
import type { CaughtEmail } from '../../local/ses-local.js';
import { HttpBuyer } from './support/http-buyer.js';
import { eventually, removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * The whole backend as `npm start` runs it, driven only over HTTP: the marketplace page (the
 * buyer's purchases), the queue poller and the marketplace-events handler, the setup pages,
 * local SES, and the sales view. Every wait polls the sales view, as a person would reload it.
 */
let stack: SpawnedStack;
let marketplace: HttpBuyer;
const PRODUCT = 'a1b2c3d4e5credits0example'; // cdk.json stage dev

beforeAll(async () => {
  stack = await spawnLocalStack();
  marketplace = new HttpBuyer();
});
afterAll(async () => {
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

async function state(): Promise<ConsoleState> {
  return (await (await fetch(`${stack.urls.marketplace}/api/state`)).json()) as ConsoleState;
}

async function act(path: string, fields: Record<string, string>): Promise<string> {
  const response = await marketplace.post(`${stack.urls.marketplace}${path}`, fields);
  expect(response.status, await response.text()).toBe(303);
  return decodeURIComponent(response.headers.get('location') ?? '');
}

async function buy(buyerName: string, credits: number, months: number, mode: 'sns' | 'eventbridge') {
  await act('/buyers', { name: buyerName });
  const buyer = (await state()).buyers.find((b) => b.name === buyerName);
  if (!buyer) throw new Error('buyer not created');
  await act('/purchases', {
    accountId: buyer.accountId,
    productCode: PRODUCT,
    credits: String(credits),
    months: String(months),
    mode,
  });
  const license = (await state()).licenses.find((l) => l.accountId === buyer.accountId);
  if (!license) throw new Error('license not bought');
  return { buyer, license };
}

async function salesJson<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.urls.sales}${path}`, { headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function contractOf(licenseArn: string): Promise<ContractRow | undefined> {
  const page = await salesJson<ContractPage>('/contracts?limit=100');
  return page.contracts.find((c) => c.licenseArn === licenseArn);
}

async function detailWhen(
  contractId: string,
  what: string,
  ok: (d: ContractDetail) => boolean,
): Promise<ContractDetail> {
  return eventually(what, async () => {
    const detail = await salesJson<ContractDetail>(`/contracts/${encodeURIComponent(contractId)}`);
    return ok(detail) ? detail : undefined;
  });
}

async function codeMailedTo(email: string): Promise<string> {
  return eventually(`a code mailed to ${email}`, async () => {
    const store = (await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: CaughtEmail[] };
    const mail = store.emails.filter((m) => m.destination.to.includes(email)).at(-1);
    return /code is (\d{6})/.exec(mail?.body.text ?? '')?.[1];
  });
}

/** The "Set up your account" form of one license on the marketplace page, with its fresh token. */
async function setupButton(licenseArn: string): Promise<{ action: string; token: string }> {
  const page = await (await fetch(stack.urls.marketplace)).text();
  const row = page.slice(page.indexOf(`<code>${licenseArn}</code>`));
  const form =
    /<form method="post" action="([^"]+)">\s*<input type="hidden" name="x-amzn-marketplace-token" value="([^"]+)">/.exec(
      row,
    );
  if (!form?.[1] || !form[2]) throw new Error('no Set up your account button for the license');
  return { action: form[1].replaceAll('&amp;', '&'), token: form[2] };
}

describe('local stack journey (npm start)', () => {
  it('takes a purchase through notification, setup, activation, upgrade, renewal and cancellation', async () => {
    // Buy: the marketplace page sends EventBridge events to the local queue.
    const { license } = await buy('Acme GmbH', 1000, 12, 'eventbridge');
    const row = await eventually('the purchase in the sales view', () => contractOf(license.licenseArn));
    expect(row).toMatchObject({ status: 'pending-setup', activeCredits: 1000, productCode: PRODUCT });
    expect(row.expiresAt).toBe(license.endDate);

    // Set up your account: the button POSTs a fresh token to the setup function URL.
    const buyer = new HttpBuyer();
    const button = await setupButton(license.licenseArn);
    expect(button.action).toBe(`${stack.urls.setup}/`);
    const arrived = await buyer.post(button.action, { 'x-amzn-marketplace-token': button.token });
    expect(arrived.status).toBe(303);
    const setup = `${stack.urls.setup}/setup`;
    expect((await buyer.get(setup)).status).toBe(200);
    expect((await buyer.submit(`${setup}/email`, { email: 'owner@acme.example' })).status).toBe(303);
    await buyer.get(setup);
    const code = await codeMailedTo('owner@acme.example');
    expect((await buyer.submit(`${setup}/code`, { code })).status).toBe(303);
    await buyer.get(setup);
    const business = {
      name: 'Acme GmbH',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Berlin',
    };
    expect((await buyer.submit(`${setup}/business`, business)).status).toBe(303);
    const review = await buyer.get(setup);
    expect(await review.text()).toContain('1,000');
    const activated = await buyer.submit(`${setup}/activate`);
    expect(activated.status).toBe(303);
    expect(activated.headers.get('location')).toBe(`${stack.urls.product}/`);
    const contractId = row.contractId;
    await detailWhen(contractId, 'activation', (d) => d.contract.status === 'active');

    // Upgrade: a second item with the contract's expiration date (R6).
    await act('/licenses/upgrade', { licenseArn: license.licenseArn, credits: '500' });
    const upgraded = await detailWhen(
      contractId,
      'the upgrade',
      (d) => d.items.filter((i) => i.state === 'active').length === 2,
    );
    const active = upgraded.items.filter((i) => i.state === 'active');
    expect(active.map((i) => i.credits).sort((a, b) => a - b)).toEqual([500, 1000]);
    expect(new Set(active.map((i) => i.expiresAt))).toEqual(new Set([row.expiresAt]));
    expect(upgraded.contract).toMatchObject({
      status: 'active',
      activeCredits: 1500,
      businessName: 'Acme GmbH',
    });

    // Renew for 12 more months: the term and every active item move to the new end date.
    await act('/licenses/renew', { licenseArn: license.licenseArn, months: '12' });
    const renewedEnd = (await state()).licenses.find((l) => l.licenseArn === license.licenseArn)?.endDate;
    expect(renewedEnd && renewedEnd > row.expiresAt).toBe(true);
    const renewed = await detailWhen(contractId, 'the renewal', (d) => d.contract.expiresAt === renewedEnd);
    expect(renewed.items.filter((i) => i.state === 'active').every((i) => i.expiresAt === renewedEnd)).toBe(
      true,
    );
    expect(renewed.contract.status).toBe('active');

    // Cancel: the contract ends and no credits stay active.
    await act('/licenses/cancel', { licenseArn: license.licenseArn });
    const cancelled = await detailWhen(
      contractId,
      'the cancellation',
      (d) => d.contract.status === 'cancelled',
    );
    expect(cancelled.contract.activeCredits).toBe(0);
    expect(cancelled.items.every((i) => i.state === 'ended')).toBe(true);

    const summary = await salesJson<{ byStatus: Record<string, number> }>('/summary');
    expect(summary.byStatus.cancelled).toBeGreaterThanOrEqual(1);
  });

  it('syncs a legacy listing through SNS envelopes as well', async () => {
    const { license } = await buy('Legacy Ltd', 200, 1, 'sns');
    expect(license.customerIdentifier).toBeTruthy();
    const row = await eventually('the SNS purchase in the sales view', () => contractOf(license.licenseArn));
    expect(row).toMatchObject({ status: 'pending-setup', activeCredits: 200 });
  });

  it('keeps going past a poison message, which lands in the DLQ after five receives', async () => {
    const sqs = new SQSClient({
      endpoint: stack.urls.sqs,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: stack.urls.queueUrl, MessageBody: '{"not":"a notification"}' }),
      );
      const { license } = await buy('After Poison Inc', 300, 12, 'eventbridge');
      await eventually('the purchase after the poison message', () => contractOf(license.licenseArn));
      await eventually('the poison message in the DLQ', async () => {
        const dlq = await fetch(stack.urls.sqs, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AmazonSQS.GetQueueAttributes',
          },
          body: JSON.stringify({ QueueUrl: stack.urls.deadLetterQueueUrl, AttributeNames: ['All'] }),
        });
        const attributes = ((await dlq.json()) as { Attributes: Record<string, string> }).Attributes;
        return attributes.ApproximateNumberOfMessages === '1' ? true : undefined;
      });
      expect(stack.output()).toMatch(/batch of 1 failed|left for retry\/DLQ/);
    } finally {
      sqs.destroy();
    }
  });

  it('serves the sales view to the sales CLI without AWS credentials', () => {
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cli/sales/main.ts', 'summary', '--url', stack.urls.sales],
      {
        cwd: new URL('../../', import.meta.url).pathname,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: '/nonexistent',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/cancelled/i);
  });
});
