import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Business } from '../../lib/domain/setup/model.js';
import { JourneySteps, PRODUCT, ProductUser } from './support/journey-steps.js';
import { removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * Credits over the whole local stack, as `npm start` runs it: a purchase becomes a business's
 * credits, the product stand-in enables services through the license API, an upgrade raises the
 * total, a cancellation leaves the business over-allocated (R9): nothing is cut, the primary user
 * is mailed, allocations can only go down, and disabling brings the balance back.
 */
let stack: SpawnedStack;
let steps: JourneySteps;
const EMAIL = 'owner@credits.example';

beforeAll(async () => {
  stack = await spawnLocalStack();
  steps = new JourneySteps(stack);
});
afterAll(async () => {
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

describe('credits journey over the local stack', () => {
  it('takes a business from purchase to over-allocation and back through the product stand-in', async () => {
    // Buy 1,000 credits, set up and activate: the setup lands in the product stand-in.
    const license = await steps.buy('Credits GmbH', 1000, 12);
    const landing = await steps.setUpAndActivate(license.licenseArn, EMAIL, {
      name: 'Credits GmbH',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Berlin',
    });
    expect(landing).toBe(`${stack.urls.product}/`);

    // The product signs the user in by email alone (a stand-in: it says so).
    const product = new ProductUser(stack.urls.product);
    expect(await product.page()).toContain('no password and no code');
    expect(await product.signIn('nobody@credits.example')).toEqual({
      refused: expect.stringMatching(/^No business is set up with that email\. The license API said: /),
    });
    expect(await product.signIn('Owner@Credits.example')).toEqual({ done: 'Signed in to Credits GmbH' });
    const found = await steps.api<{ business: Business }>('GET', `/businesses?email=${EMAIL}`);
    const businessId = found.body.business.businessId;
    let page = await product.page();
    expect(page).toContain(`Signed in as ${EMAIL}`);
    expect(page).toMatch(/Total Allocated Balance 1,000 0 1,000 /);
    expect(page).toContain('Endpoint Security');
    expect(page).toContain('Nothing expires within the next 60 days.');
    expect(page).toMatch(/AWS Marketplace .*active 1,000/);

    // The product enables services through the license API (PUT, signed).
    expect(await product.allocate('endpoint-security', 100)).toEqual({
      done: 'endpoint-security now holds 100 units; balance 700 credits',
    });
    expect((await product.allocate('email-security', 200)).done).toMatch(/balance 300 credits/);
    expect(await product.allocate('email-security', 200)).toEqual({
      done: 'email-security already had 200 units: nothing changed',
    });
    const refused = await product.allocate('cloud-posture', 10);
    expect(refused.refused).toBe(
      'Not enough credits for that. The license API said: This needs 400 more credits; 300 are available. ' +
        'Choose fewer units, disable another service, or add credits on AWS Marketplace.',
    );
    page = await product.page();
    expect(page).toContain(refused.refused);
    expect(page).toMatch(/Total Allocated Balance 1,000 700 300 /);
    expect(page).toContain('on : 100 × endpoint, 300 credits');

    // A license from another channel, added by the vendor's backend, ending within 60 days.
    const in30Days = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const direct = await steps.api('POST', `/businesses/${businessId}/licenses`, {
      reference: 'deal-e2e-1',
      productCode: PRODUCT,
      credits: 300,
      expiresAt: in30Days,
      description: 'Direct deal',
    });
    expect(direct.status).toBe(201);

    // Upgrade on the marketplace page: the total rises once the notification is synced.
    await steps.act('/licenses/upgrade', { licenseArn: license.licenseArn, credits: '500' });
    const upgraded = await steps.usageWhen(businessId, 'the upgrade in the ledger', (u) => u.total === 1800);
    expect(upgraded).toMatchObject({
      allocated: 700,
      balance: 1100,
      overAllocatedBy: 0,
      expiringCredits: 300,
    });
    expect((await product.allocate('cloud-posture', 20)).done).toMatch(/balance 300 credits/);
    page = await product.page();
    expect(page).toMatch(/Total Allocated Balance 1,800 1,500 300 /);
    expect(page).toContain('300 credits expire within 60 days');
    expect(page).toContain('license from another channel direct~deal-e2e-1');

    // Cancel: the contract's 1,500 credits stop counting; nothing is cut.
    await steps.act('/licenses/cancel', { licenseArn: license.licenseArn });
    const cancelled = await steps.usageWhen(
      businessId,
      'the cancellation in the ledger',
      (u) => u.total === 300,
    );
    expect(cancelled).toMatchObject({ allocated: 1500, balance: -1200, overAllocatedBy: 1200 });
    expect(cancelled.overAllocatedSince).toBeDefined();
    page = await product.page();
    expect(page).toMatch(/Total Allocated Balance 300 1,500 -1,200 \(over-allocated\)/);
    expect(page).toContain('Over-allocated by 1,200 credits since');
    expect(page).toMatch(/AWS Marketplace .* cancelled 0 /);
    const mail = await steps.mailWhen(EMAIL, /hold more credits than you have/);
    expect(mail.body.text).toContain('over-allocated by 1200 credits');
    expect(mail.body.text).toContain('Nothing has been disabled');

    // Over-allocated: allocations can only go down.
    const raise = await product.allocate('endpoint-security', 101);
    expect(raise.refused).toMatch(
      /^Your services already hold more credits than you have, so they can only be resized down or disabled for now\. The license API said: The business is over-allocated by 1200 credits/,
    );
    expect((await product.allocate('network-sensor', 1)).refused).toMatch(/over-allocated by 1200/);
    const api = await steps.api<{ code: string; overBy: number }>(
      'PUT',
      `/businesses/${businessId}/allocations/email-security`,
      { units: 201 },
    );
    expect(api).toEqual({
      status: 409,
      body: expect.objectContaining({ code: 'over-allocated', overBy: 1200 }),
    });
    expect((await product.allocate('email-security', 150)).done).toMatch(/balance -1,100 credits/);

    // Disabling brings the balance back: the mark clears.
    expect((await product.disable('cloud-posture')).done).toBe(
      'cloud-posture disabled; balance -300 credits',
    );
    expect(await product.disable('endpoint-security')).toEqual({
      done: 'endpoint-security disabled; balance 0 credits',
    });
    expect(await product.disable('endpoint-security')).toEqual({
      done: 'endpoint-security was not enabled: nothing changed',
    });
    const recovered = await steps.usage(businessId);
    expect(recovered).toMatchObject({ total: 300, allocated: 300, balance: 0, overAllocatedBy: 0 });
    expect(recovered.overAllocatedSince).toBeUndefined();
    page = await product.page();
    expect(page).toMatch(/Total Allocated Balance 300 300 0 /);
    expect(page).not.toContain('Over-allocated');
    expect(
      await steps.mailsTo(EMAIL).then((m) => m.filter((x) => /more credits/.test(x.subject)).length),
    ).toBe(1);

    // Signing out forgets the email.
    expect(await product.post('/sign-out', {})).toEqual({ done: 'Signed out' });
    expect(await product.page()).toContain('Email of the business');
  });

  it('refuses a cross-site form post and tells a stale cookie to sign in again', async () => {
    const crossSite = await fetch(`${stack.urls.product}/allocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: 'service=endpoint-security&units=1',
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
    // A page on a domain rebound to 127.0.0.1 is same-origin with itself, but not a loopback Host.
    const rebound = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${stack.urls.product}/allocations`);
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            host: `rebind.example:${url.port}`,
            origin: `http://rebind.example:${url.port}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('service=endpoint-security&units=1');
    });
    expect(rebound).toBe(403);

    const stale = await fetch(`${stack.urls.product}/`, {
      headers: { cookie: 'product-email=gone%40credits.example' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toContain('No business is set up with that email');
    expect(stale.headers.getSetCookie()[0]).toMatch(/^product-email=; .*Max-Age=0/);
  });
});
