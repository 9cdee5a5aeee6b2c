import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../lib/domain/events/catalogue.js';
import type { ReceivedEvent } from '../../local/event-console/index.js';
import { JourneySteps } from './support/journey-steps.js';
import { eventually, removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * Issue 15 over the whole local stack (`npm start`): the Agreement API of the simulator enriches
 * a purchase, a renewal under a new license keeps the activation (the events say so), and the
 * reconciliation sweep from the event console's button heals a purchase whose notifications
 * were dropped.
 */
let stack: SpawnedStack;
let steps: JourneySteps;
const EMAIL = 'owner@agreements.example';

beforeAll(async () => {
  stack = await spawnLocalStack();
  steps = new JourneySteps(stack);
});
afterAll(async () => {
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

async function events(): Promise<OutboundEvent[]> {
  const all = (await (await fetch(`${stack.urls.events}/events.json`)).json()) as ReceivedEvent[];
  return all.filter((r) => r.via === 'bus').map((r) => JSON.parse(r.body) as OutboundEvent);
}

const eventWhen = (type: string, about: (e: OutboundEvent) => boolean) =>
  eventually(`${type} on the bus`, async () => (await events()).find((e) => e.type === type && about(e)));

async function salesContract(contractId: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.urls.sales}/contracts/${encodeURIComponent(contractId)}`, {
    headers: { accept: 'application/json' },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const idOf = (licenseArn: string) => /l-[0-9a-f]+/.exec(licenseArn)?.[0] ?? 'none';

describe('agreements journey over the local stack', () => {
  it('enriches, hands a renewal under a new license over, and heals dropped notifications with the sweep', async () => {
    const license = await steps.buy('Agreements AG', 400, 12);
    const ofLicense = (arn: string) => (e: OutboundEvent) =>
      String(e.data.contractId ?? '').endsWith(`~L~${idOf(arn)}`);
    const created = await eventWhen('contract.created', ofLicense(license.licenseArn));
    const contractId = String(created.data.contractId);
    const detail = await eventually('terms on the contract', async () => {
      const body = await salesContract(contractId);
      return JSON.stringify(body).includes('"contractValue"') ? body : undefined;
    });
    expect(JSON.stringify(detail)).toContain('"4800.00"');

    await steps.setUpAndActivate(license.licenseArn, EMAIL, {
      name: 'Agreements AG',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Berlin',
    });
    await eventWhen('contract.activated', ofLicense(license.licenseArn));

    await steps.act('/licenses/renew-new-license', {
      licenseArn: license.licenseArn,
      months: '12',
      credits: '600',
    });
    const successor = (await steps.state()).licenses.find(
      (l) => l.predecessorLicenseArn === license.licenseArn,
    );
    expect(successor).toBeDefined();
    const continued = await eventWhen('contract.continued', ofLicense(successor?.licenseArn ?? ''));
    expect(continued.data).toMatchObject({ change: { previousContractId: contractId, term: 'renewed' } });
    expect(continued.data.businessId).toBe(
      (await eventWhen('contract.activated', ofLicense(license.licenseArn))).data.businessId,
    );
    const handedOver = await eventWhen('contract.handed-over', ofLicense(license.licenseArn));
    expect(handedOver.data).toMatchObject({
      change: { creditsHandedOver: 400 },
      contract: { status: 'renewed' },
    });

    // A purchase the marketplace never told us about: the sweep finds it.
    await steps.act('/buyers', { name: 'Silent GmbH' });
    const buyer = (await steps.state()).buyers.find((b) => b.name === 'Silent GmbH');
    await steps.act('/purchases', {
      accountId: buyer?.accountId ?? '',
      productCode: license.productCode,
      credits: '50',
      months: '12',
      mode: 'eventbridge',
      drop: 'on',
    });
    const silent = (await steps.state()).licenses.find((l) => l.accountId === buyer?.accountId);
    const sweep = await fetch(`${stack.urls.events}/run-sweep`, {
      method: 'POST',
      body: 'mode=incremental',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(sweep.status).toBe(303);
    const healed = await eventWhen('contract.created', ofLicense(silent?.licenseArn ?? ''));
    expect(healed.data).toMatchObject({ contract: { credits: 50 } });
  });
});
