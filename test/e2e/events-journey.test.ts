import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../lib/domain/events/catalogue.js';
import type { Business } from '../../lib/domain/setup/model.js';
import type { ReceivedEvent } from '../../local/event-console/index.js';
import { JourneySteps } from './support/journey-steps.js';
import { eventually, removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * Events out over the whole local stack (issue 14): every purchase, activation, upgrade and
 * cancellation reaches the event console through the table's stream, the publisher, the bus
 * stand-in and the signed webhook (verified by the receiver); sales is mailed on activation and
 * cancellation; the daily notices run mails the buyer before expiry (R10).
 */
let stack: SpawnedStack;
let steps: JourneySteps;
const EMAIL = 'owner@events.example';
const SALES = 'sales@vendor.example'; // cdk.json stage dev

beforeAll(async () => {
  stack = await spawnLocalStack();
  steps = new JourneySteps(stack);
});
afterAll(async () => {
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

async function received(): Promise<ReceivedEvent[]> {
  return (await (await fetch(`${stack.urls.events}/events.json`)).json()) as ReceivedEvent[];
}

/** Waits until the bus and the webhook both got an event of `type` about `about`; the event. */
function eventWhen(type: string, about: (event: OutboundEvent) => boolean): Promise<OutboundEvent> {
  return eventually(`${type} on the bus and as a verified webhook`, async () => {
    const all = await received();
    const of = (via: string) =>
      all
        .filter((r) => r.via === via && (via === 'bus' || (r as { verified?: boolean }).verified))
        .map((r) => JSON.parse(r.body) as OutboundEvent)
        .find((e) => e.type === type && about(e));
    const bus = of('bus');
    const hook = of('webhook');
    return bus && hook && bus.id === hook.id ? bus : undefined;
  });
}

describe('events journey over the local stack', () => {
  it('publishes each change of a purchase to the bus and the webhook, mails sales, and warns before expiry', async () => {
    // A one-month purchase: its expiry is inside the 30-day bracket of the notices (R10).
    const license = await steps.buy('Events AG', 1000, 1);
    const licenseId = /l-[0-9a-f]+/.exec(license.licenseArn)?.[0] ?? 'none';
    const ofLicense = (e: OutboundEvent) => String(e.data.contractId ?? '').endsWith(`~L~${licenseId}`);
    const created = await eventWhen('contract.created', ofLicense);
    expect(created.data).toMatchObject({
      businessId: null,
      contract: { status: 'pending-setup', credits: 1000 },
    });

    await steps.setUpAndActivate(license.licenseArn, EMAIL, {
      name: 'Events AG',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Berlin',
    });
    const found = await steps.api<{ business: Business }>('GET', `/businesses?email=${EMAIL}`);
    const businessId = found.body.business.businessId;
    const activated = await eventWhen('contract.activated', ofLicense);
    expect(activated.data).toMatchObject({ businessId, contract: { status: 'active' } });
    await eventWhen('credits.changed', (e) => e.data.businessId === businessId);
    const salesActivation = await steps.mailWhen(SALES, /activated contract/);
    expect(salesActivation.body.text).toContain(businessId);

    expect(
      (await steps.api('PUT', `/businesses/${businessId}/allocations/endpoint-security`, { units: 10 }))
        .status,
    ).toBe(200);
    const allocated = await eventWhen('credits.allocated', (e) => e.data.businessId === businessId);
    expect(allocated.data).toMatchObject({ service: 'endpoint-security', units: 10, credits: 30 });

    await steps.act('/licenses/upgrade', { licenseArn: license.licenseArn, credits: '500' });
    const upgraded = await eventWhen('contract.upgraded', ofLicense);
    expect(upgraded.data).toMatchObject({ change: { addedCredits: 500 }, contract: { credits: 1500 } });

    // The daily run from the event console's button: the 30-day notice, once.
    const run = await fetch(`${stack.urls.events}/run-notices`, { method: 'POST', redirect: 'manual' });
    expect(run.status).toBe(303);
    const notice = await steps.mailWhen(EMAIL, /expires in \d+ days/);
    expect(notice.body.text).toContain('Events AG');
    const expiring = await eventWhen('license.expiring', (e) => e.data.businessId === businessId);
    // A month is 28 to 31 days: the 30-day bracket, or the 60-day one for a 31-day month.
    expect(expiring.data.threshold).toBe(Number(expiring.data.daysLeft) > 30 ? 60 : 30);
    await fetch(`${stack.urls.events}/run-notices`, { method: 'POST', redirect: 'manual' });

    await steps.act('/licenses/cancel', { licenseArn: license.licenseArn });
    const cancelled = await eventWhen('contract.cancelled', ofLicense);
    expect(cancelled.data).toMatchObject({ contract: { status: 'cancelled', credits: 0 } });
    await steps.mailWhen(SALES, /cancelled/);

    // Nothing any consumer receives carries the buyer's address; the rerun sent no second notice.
    for (const event of await received()) expect(event.body).not.toContain(EMAIL);
    expect((await steps.mailsTo(EMAIL)).filter((m) => /expires in/.test(m.subject))).toHaveLength(1);
    // Every webhook the receiver got was signed with the secret it knows.
    expect(
      (await received()).filter((r) => r.via === 'webhook' && !(r as { verified: boolean }).verified),
    ).toEqual([]);
  });
});
