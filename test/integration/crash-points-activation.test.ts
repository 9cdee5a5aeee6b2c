import { describe, expect, it } from 'vitest';
import type { Row } from '../../lib/adapters/dynamodb/rows.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import type { Contract } from '../../lib/domain/contract/model.js';
import type { AuditEntry } from '../../lib/domain/contract/ports.js';
import type { Browser, Page } from '../support/browser.js';
import {
  crashSeed,
  describeKill,
  type KillPoint,
  killPoints,
  processes,
  seededRandom,
} from '../support/crash/process-death.js';
import { canonical, summaryViolations, tableViolations } from '../support/crash/table-invariants.js';
import { restoreTable, scanTable } from '../support/crash/table-snapshot.js';
import { FIXTURE } from '../support/events.js';
import { setupHarness } from '../support/setup-harness.js';

/**
 * Crash points of the activation (issue 12, item 17). A buyer on the review page clicks
 * Activate; the setup function's process dies at a boundary of one of that request's AWS calls
 * (before it is sent, or after it was answered with the answer lost: for the activation's
 * TransactWriteItems a commit whose response never reached the buyer). The buyer then retries,
 * by refreshing the page or by submitting the form again (and that request may die as well).
 * In the end the contract is activated exactly once, as a run without the crash leaves it, and
 * the buyer is never shown a server error.
 */

const SEED = crashSeed(0xac71_0017);
/** Random chains of crashed retries, on top of every kill point under both ways to retry. */
const CHAINS = 12;
const EMAIL = 'owner@example.com';
const BUSINESS = {
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};
const CONSOLE_URL = 'https://console.example.com/welcome';

const harness = setupHarness();

type Retry = 'refresh' | 'resubmit';

/** The rows an activation may touch (budgets and registrations are other items' business). */
const activationRows = (rows: readonly Row[]) =>
  rows.filter((r) => /^(CONTRACT|SUMMARY|SETUP|BUSINESS|USER)#/.test(String(r.pk)));

describe('activation killed at every call boundary', () => {
  it('activates exactly once, and the retrying buyer sees the license active, after a crash anywhere in Activate', async () => {
    // Arrange: a buyer on the review page, with clients whose calls the kills count.
    const { state } = harness;
    const ses = createSesClient({ endpoint: state.ses.endpoint });
    const metering = createMeteringClient({ endpoint: state.running.endpoint });
    const entitlementClient = createEntitlementClient({ endpoint: state.running.endpoint });
    const world = processes([state.table.client, ses, metering, entitlementClient]);
    const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
    harness.use({
      mailer: createSesMailer({ client: ses, from: 'no-reply@vendor.example' }),
      resolver: createCustomerResolver({ client: metering, retry }),
      entitlements: createEntitlementReader({ client: entitlementClient, retry }),
      confirmationRetry: { attempts: 2, delayMs: 1 },
      consoleUrl: CONSOLE_URL,
    });
    const { license, contractId } = harness.buy(1200);
    const buyer = harness.browser();
    await harness.askCode(buyer, license.licenseArn, EMAIL);
    await buyer.get('/setup');
    await buyer.submit('/setup/code', { code: await harness.lastCodeFor(EMAIL) });
    await buyer.get('/setup');
    await buyer.submit('/setup/business', BUSINESS);
    const review = await buyer.get('/setup');
    expect(review.body).toMatch(/Activate/);
    const staged = await scanTable(state.table.client, state.table.tableName);
    let present = staged;
    const cookies = new Map(buyer.cookies);

    /** Another tab of a browser: a request that dies there leaves the browser as it was (its answer never came). */
    const tabOf = (from: { cookies: ReadonlyMap<string, string>; last?: Page }): Browser => {
      const b = harness.browser(buyer.sourceIp);
      for (const [name, value] of from.cookies) b.cookies.set(name, value);
      if (from.last) b.last = from.last;
      return b;
    };
    /** The buyer's browser as it was on the review page. */
    const browserAtReview = () => tabOf({ cookies, last: review });
    const activations = async () => (await state.ses.emails()).filter((m) => /is active/.test(m.subject));
    const restore = async () => {
      await restoreTable(state.table.client, state.table.tableName, staged, present);
      present = staged;
      await state.ses.clear();
    };
    const scan = async () => {
      present = await scanTable(state.table.client, state.table.tableName);
      return present;
    };

    // The fault-free activation: what every crashed one must end as.
    const clean = await world.run(undefined, () => browserAtReview().submit('/setup/activate'));
    expect(clean.result).toMatchObject({ status: 303, location: CONSOLE_URL });
    const reference = activationRows(await scan());
    // What is wrong even without a crash is reported once, not again by every trial.
    const baseline = tableViolations(reference);
    const known = new Set(baseline);
    const points = killPoints(clean.invocation.calls.length);

    /**
     * One trial: Activate dies at `first`; then the buyer retries `how`, each retry dying at the
     * next kill of `later` (a kill beyond what the retry does lets it finish), until one retry
     * runs without a kill. Returns what went wrong and how many kills really happened.
     */
    async function trial(first: KillPoint, later: readonly KillPoint[], how: Retry) {
      const problems: string[] = [];
      let kills = 0;
      await restore();
      let b = browserAtReview();
      const check = async (moment: string) => {
        const rows = await scan();
        problems.push(
          ...tableViolations(rows)
            .filter((v) => !known.has(v))
            .map((v) => `${moment}: ${v}`),
        );
        const completed = rows.filter((r) => String(r.pk).startsWith('SETUP#') && r.step === 'completed');
        if (completed.length > 1) problems.push(`${moment}: ${completed.length} completed sessions`);
        return rows;
      };

      // The request that dies: its answer never reaches the buyer (a 502 from the function URL).
      const died = await world.run(first, () => browserAtReview().submit('/setup/activate'));
      if (died.invocation.diedAt) kills += 1;
      const afterDeath = await check(
        `after Activate died ${describeKill(first)} (${died.invocation.diedAt?.command ?? 'no kill'})`,
      );
      // The kill itself: a commit whose answer was lost has landed, one killed before it has not.
      const sent = died.invocation.calls.slice(0, first.when === 'before' ? first.call - 1 : first.call);
      const committed = sent.includes('TransactWriteItemsCommand');
      const active = afterDeath.some((r) => r.pk === `CONTRACT#${contractId}` && r.setupState === 'active');
      if (committed !== active)
        problems.push(
          `Activate died ${describeKill(first)}: committed ${committed}, contract active ${active}`,
        );

      const attempts = [...later, undefined];
      let last: Page | undefined;
      for (const [n, kill] of attempts.entries()) {
        const moment = `retry ${n + 1} (${how}, ${describeKill(kill)})`;
        const tab = tabOf(b);
        const { invocation, result } = await world.run(kill, async () => {
          const seen: Page[] = [];
          const step = async (p: Promise<Page>) => {
            const page = await p;
            seen.push(page);
            return page;
          };
          let page =
            how === 'refresh' ? await step(tab.get('/setup')) : await step(tab.submit('/setup/activate'));
          if (page.status === 303 && page.location === '/setup') page = await step(tab.get('/setup'));
          if (page.status === 200 && /name="csrf"/.test(page.body) && /Activate/.test(page.body))
            page = await step(tab.submit('/setup/activate'));
          return seen;
        });
        if (invocation.diedAt) {
          kills += 1;
          await check(`after ${moment} died at ${invocation.diedAt.command}`);
          continue;
        }
        b = tab;
        for (const page of result) {
          if (page.status >= 500) problems.push(`${moment}: the buyer was shown a ${page.status}`);
        }
        last = result.at(-1);
        break;
      }
      const shown =
        last?.status === 303
          ? last.location === CONSOLE_URL
          : last?.status === 200 && /license is (already )?active/i.test(last.body);
      if (!shown)
        problems.push(
          `the buyer ended on ${last?.status} ${last?.location ?? last?.body.slice(0, 120) ?? 'nothing'}`,
        );

      const rows = await check('after the retries');
      problems.push(
        ...(await summaryViolations(
          state.table.client,
          state.table.tableName,
          rows,
          [FIXTURE.productCode],
          state.now,
        )),
      );
      const contract = rows.find((r) => r.pk === `CONTRACT#${contractId}` && r.sk === 'CONTRACT') as
        | Contract
        | undefined;
      const audit = rows.filter(
        (r) => r.pk === `CONTRACT#${contractId}` && String(r.sk).startsWith('AUDIT#'),
      ) as unknown as AuditEntry[];
      const activated = audit.filter((a) => a.changes.some((c) => c.type === 'activated'));
      if (contract?.setupState !== 'active' || activated.length !== 1)
        problems.push(
          `contract ${contract?.setupState}, ${activated.length} activation(s) in the audit trail`,
        );
      const got = activationRows(rows);
      if (canonical(got) !== canonical(reference)) {
        const want = new Map(reference.map((r) => [`${r.pk}|${r.sk}`, canonical(r)]));
        const have = new Map(got.map((r) => [`${r.pk}|${r.sk}`, canonical(r)]));
        for (const key of new Set([...want.keys(), ...have.keys()]))
          if (want.get(key) !== have.get(key))
            problems.push(
              `differs from the fault-free activation at ${key}: ${have.get(key) ?? 'missing'} vs ${want.get(key) ?? 'absent'}`,
            );
      }
      // At most one confirmation mail. None when the process died between the commit and
      // SendEmail: the mail is sent only in the request that commits, so a crash there loses it
      // for good. Counted and logged, not failed: the activation itself is right; see the note.
      const mails = (await activations()).length;
      if (mails > 1) problems.push(`${mails} confirmation mails`);
      return { problems, kills, mails };
    }

    // Act: every kill point under both ways to retry, then random chains of crashed retries.
    const random = seededRandom(SEED);
    const trials: { first: KillPoint; later: KillPoint[]; how: Retry }[] = [
      ...points.flatMap((first) =>
        (['refresh', 'resubmit'] as const).map((how) => ({ first, later: [], how })),
      ),
      ...Array.from({ length: CHAINS }, () => ({
        first: random.pick(points),
        later: Array.from({ length: 1 + random.int(2) }, () => random.pick(points)),
        how: random.pick(['refresh', 'resubmit'] as const),
      })),
    ];
    const failures: string[] = baseline.map((v) => `the fault-free activation: ${v}`);
    const mailLost: string[] = [];
    let kills = 0;
    for (const [n, { first, later, how }] of trials.entries()) {
      const outcome = await trial(first, later, how);
      kills += outcome.kills;
      const label = `seed ${SEED}, trial ${n}: Activate died ${describeKill(first)}, then ${how} with kills [${later.map(describeKill).join(', ')}]`;
      failures.push(...outcome.problems.map((p) => `${label}: ${p}`));
      if (outcome.mails === 0) mailLost.push(label);
    }
    ses.destroy();
    metering.destroy();
    entitlementClient.destroy();
    console.info(
      `crash points (activation): seed ${SEED}, ${points.length} kill points (${clean.invocation.calls.join(', ')}), ${trials.length} trials, ${kills} kills, ${failures.length} inconsistencies, confirmation mail lost in ${mailLost.length} trials`,
    );

    // Assert
    expect(failures, `replay with CRASH_SEED=${SEED}`).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(points.length * 2);
  });
});
