import { type CodeKind, drawCode, parseCode, type RandomBytes } from '../codes/codes.js';
import { CodeCollisionError, type CodeRecord } from '../codes/records.js';
import type { Clock } from '../contract/ports.js';
import type { DirectLicense } from '../credits/licenses.js';
import type { Ledger } from '../credits/model.js';
import type { LedgerReader } from '../credits/ports.js';
import type { HistoryEntry } from '../events/history.js';
import { findService, type ProductCatalog } from '../product/catalog.js';
import { type ActivationLog, sendConfirmation } from '../setup/activate-license.js';
import { TooManyRequestsError } from '../setup/errors.js';
import {
  type Budget,
  type BudgetCounter,
  CALLER_CODE_LOOKUPS,
  CODE_LOOKUPS,
  type SetupLimits,
  SOURCE_REGISTRATIONS,
  sourceOf,
  windowStart,
} from '../setup/limits.js';
import { type Business, SETUP_WINDOW_MS, type SetupSession } from '../setup/model.js';
import type { Mailer, Secrets, SetupStore } from '../setup/ports.js';
import {
  CodeLookupLimitError,
  CodeReplacedError,
  InvalidCodeError,
  OrderConflictsError,
  OrderRegisteredError,
  UnknownOrderError,
} from './errors.js';
import {
  type ConflictRule,
  type HeldService,
  type Order,
  type OrderLine,
  orderLicenseReference,
  type PreviewLine,
  previewOrder,
} from './model.js';
import type { CodeReader, OrderStore } from './ports.js';

export interface CodeLookupDeps {
  readonly codes: CodeReader;
  readonly budgets: BudgetCounter;
  readonly clock: Clock;
  readonly limits?: SetupLimits;
  /** The two letters codes start with; `PC` unless configured. */
  readonly codePrefix?: string;
}

/**
 * Finds what a code opens (R11), with the wrong-code budget of its client: a code that is not
 * well formed is refused by its check character before any read and costs nothing; a
 * well-formed one takes one from `code-lookup:<client>` before the read (so parallel guesses
 * read at most the limit between them) and gives it back when the code exists. A replaced code
 * is refused with a message that says so. With `caller` (a signed caller of the license API,
 * whose client ids are its own choice), the caller's budget `code-lookup-caller:<caller>` is
 * taken and given back the same way, so no choice of client ids gets past it.
 */
export async function lookupCode(
  input: string,
  client: string,
  deps: CodeLookupDeps,
  expected?: CodeKind,
  caller?: string,
): Promise<CodeRecord> {
  const parsed = parseCode(input, deps.codePrefix, expected);
  if (!parsed.ok) throw new InvalidCodeError(parsed.reason === 'checksum' ? 'checksum' : 'format');
  const now = deps.clock.now();
  const budgets: Budget[] = [
    { key: `code-lookup:${client}`, ...(deps.limits?.codeLookups ?? CODE_LOOKUPS) },
    ...(caller !== undefined
      ? [{ key: `code-lookup-caller:${caller}`, ...(deps.limits?.callerCodeLookups ?? CALLER_CODE_LOOKUPS) }]
      : []),
  ];
  const taken: Budget[] = [];
  for (const budget of budgets) {
    if (!(await deps.budgets.take(budget, now))) {
      for (const back of taken) await deps.budgets.giveBack(back, now);
      const wait = budget.windowMs - (now.getTime() % budget.windowMs);
      throw new CodeLookupLimitError(Math.ceil(wait / 1000));
    }
    taken.push(budget);
  }
  const record = await deps.codes.findCode(parsed.code);
  if (!record) throw new InvalidCodeError('unknown');
  for (const budget of taken) await deps.budgets.giveBack(budget, now);
  if (record.state === 'replaced') throw new CodeReplacedError();
  return record;
}

export interface RegistrationDeps extends CodeLookupDeps {
  readonly orders: OrderStore;
  readonly setups: SetupStore;
  readonly ledgers: Pick<LedgerReader, 'get' | 'holdings'>;
  readonly catalog: ProductCatalog;
  readonly secrets: Secrets;
  /** A CSPRNG in production: Activation Codes are drawn from it (R11). */
  readonly random: RandomBytes;
  readonly mailer: Mailer;
  readonly logger: ActivationLog;
  readonly productName: string;
  readonly consoleUrl: string;
  /** The product's rule for "conflicted SaaS" (seed 003); `overlapping-term` unless configured. */
  readonly conflictRuleOf?: (productCode: string) => ConflictRule;
  readonly confirmationRetry?: { readonly attempts: number; readonly delayMs: number };
  readonly confirmationBudgetMs?: number;
}

/**
 * The registration page's first step (R12): any Registration Key of an order opens a setup
 * session for that order, with the setup's four hours (R4) and its email steps (R7). The key is
 * looked up with the source address's wrong-code budget (R11); an order with nothing left to
 * register says so at once. A well-formed key first takes one from the source address's budget
 * the marketplace setup takes from too (`source:<address>`, 20 in 10 minutes): real keys
 * replayed in a loop cannot fill the table with sessions. A typo costs nothing.
 */
export async function startRegistration(
  input: { readonly key: string; readonly sourceAddress: string | undefined },
  deps: RegistrationDeps,
): Promise<{ readonly cookieValue: string; readonly session: SetupSession; readonly order: Order }> {
  // A typo is caught by the key's check digit before anything is counted or read.
  const parsed = parseCode(input.key, deps.codePrefix, 'registration-key');
  if (!parsed.ok) throw new InvalidCodeError(parsed.reason === 'checksum' ? 'checksum' : 'format');
  const source = sourceOf(input.sourceAddress);
  const budget: Budget = {
    key: `source:${source}`,
    ...(deps.limits?.sourceRegistrations ?? SOURCE_REGISTRATIONS),
  };
  const arrived = deps.clock.now();
  if (!(await deps.budgets.take(budget, arrived))) {
    const end = windowStart(budget, arrived) + budget.windowMs;
    throw new TooManyRequestsError(Math.max(1, Math.ceil((end - arrived.getTime()) / 1000)));
  }
  const record = await lookupCode(input.key, source, deps, 'registration-key');
  if (record.target.kind !== 'registration-key') throw new InvalidCodeError('wrong-kind');
  const order = await deps.orders.get(record.target.orderId);
  if (!order) throw new UnknownOrderError(`Order ${record.target.orderId} is gone`);
  if (order.lines.every((line) => line.registeredBy)) throw new OrderRegisteredError(false);
  const now = deps.clock.now();
  const cookieValue = deps.secrets.token();
  const session: SetupSession = {
    sessionKey: deps.secrets.hash(cookieValue),
    orderId: order.orderId,
    registrationKey: record.code,
    productCode: order.lines[0]?.productCode ?? '',
    freeTrialOffer: false,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + SETUP_WINDOW_MS).toISOString(),
    step: 'email',
    csrfToken: deps.secrets.token(),
    version: 1,
  };
  await deps.setups.createSession(session);
  return { cookieValue, session, order };
}

export interface OrderReview {
  readonly order: Order;
  /** Absent before the buyer has signed in or created the account. */
  readonly business?: Business;
  /** Lines not yet registered, each open or in conflict (R12). */
  readonly preview: readonly PreviewLine[];
  /** The business's ledger the conflicts were checked against (none: it holds no license yet). */
  readonly ledger?: Ledger;
}

/**
 * The services a business holds, as the conflict check reads them: the counted sources of its
 * ledger that name a service (registered order lines, R12), read strongly consistent. Its
 * revision goes with the registration's write, which holds only while the ledger has not moved.
 */
async function heldServices(
  businessId: string,
  deps: RegistrationDeps,
): Promise<{ readonly held: HeldService[]; readonly ledger?: Ledger }> {
  const ledger = await deps.ledgers.get(businessId);
  const held = Object.entries(ledger?.sources ?? {}).flatMap(([licenseId, source]) =>
    source.service
      ? [
          {
            licenseId,
            service: source.service,
            // A source without a start counts as held since ever: the cautious reading.
            startsAt: source.startsAt ?? new Date(0).toISOString(),
            expiresAt: source.expiresAt,
          },
        ]
      : [],
  );
  return { held, ...(ledger ? { ledger } : {}) };
}

/**
 * The order as the session's buyer previews it (R12): lines already registered left out, the
 * others marked when they conflict with a service of the signed-in business (seed 003).
 */
export async function orderReview(session: SetupSession, deps: RegistrationDeps): Promise<OrderReview> {
  if (!session.orderId) throw new UnknownOrderError('This setup is not an order registration');
  const [order, business] = await Promise.all([
    deps.orders.get(session.orderId),
    session.businessId ? deps.setups.getBusiness(session.businessId) : undefined,
  ]);
  if (!order) throw new UnknownOrderError(`Order ${session.orderId} is gone`);
  const { held, ledger } = business ? await heldServices(business.businessId, deps) : { held: [] };
  const preview = previewOrder(
    order,
    held,
    deps.conflictRuleOf ?? (() => 'overlapping-term'),
    deps.clock.now(),
  );
  return {
    order,
    ...(business ? { business } : {}),
    preview,
    ...(ledger ? { ledger } : {}),
  };
}

/** Re-reads of the order when another registration or a ledger write moved it under us. */
const MAX_ATTEMPTS = 8;

/**
 * Registers every open line of the session's order to the session's business, in one
 * transaction (R12): each becomes a license of the business with its Activation Code (R11), and
 * its credits join the business's total (R2). Lines in conflict are left for another account.
 * Two buyers registering one order at once: the order's revision lets one win; the other reads
 * again and finds nothing left (OrderRegisteredError). Two orders registered into one business
 * at once: the ledger revision the conflict check read lets one win; the other checks again
 * against the licenses the first added. A key support replaced since the session opened stops
 * the write (CodeReplacedError). A confirmation mail follows the commit.
 */
export async function registerOrder(
  session: SetupSession,
  deps: RegistrationDeps,
): Promise<{ readonly consoleUrl: string; readonly registered: readonly DirectLicense[] }> {
  const businessId = session.businessId;
  if (!businessId || !session.email) throw new Error('Review step without a business');
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const review = await orderReview(session, deps);
    const { order, business, preview } = review;
    if (!business) throw new Error('Review step without a business');
    const open = preview.filter((p) => p.state === 'open').map((p) => p.line);
    const conflicts = preview.filter((p) => p.state === 'conflict').map((p) => p.line.lineNo);
    if (open.length === 0) {
      if (conflicts.length > 0) throw new OrderConflictsError(conflicts);
      throw new OrderRegisteredError(order.lines.some((line) => line.registeredBy === businessId));
    }
    const now = deps.clock.now();
    const at = now.toISOString();
    let licenses = open.map((line) => lineLicense(order, line, businessId, at, deps));
    const write = (chosen: readonly DirectLicense[]) => {
      const byLine = new Map(chosen.map((license) => [license.lineNo, license]));
      const next: Order = {
        ...order,
        lines: order.lines.map((line): OrderLine => {
          const license = byLine.get(line.lineNo);
          return license
            ? { ...line, registeredBy: businessId, registeredAt: at, licenseReference: license.reference }
            : line;
        }),
        revision: order.revision + 1,
        updatedAt: at,
      };
      const history: HistoryEntry = {
        entity: 'history',
        type: 'order-registered',
        entryId: `r${next.revision}`,
        at,
        by: `buyer:${businessId}`,
        details: { businessId, email: session.email, lines: open.map((l) => l.lineNo), conflicts },
        event: {
          type: 'order.registered',
          data: {
            orderId: order.orderId,
            businessId,
            lines: chosen.map((license) => ({
              lineNo: license.lineNo,
              licenseId: `direct~${license.reference}`,
              productCode: license.productCode,
              service: license.service,
              credits: license.credits,
              expiresAt: license.expiresAt,
            })),
            conflictedLines: conflicts,
          },
        },
      };
      return deps.orders.register({
        order,
        next,
        licenses: chosen,
        businessId,
        businessName: business.name,
        primaryEmail: business.primaryEmail,
        session: {
          next: { ...session, step: 'completed', completedAt: at, version: session.version + 1 },
          expectedVersion: session.version,
        },
        history,
        at,
        ledger: review.ledger,
        ...(session.registrationKey ? { registrationKey: session.registrationKey } : {}),
      });
    };
    let failure: Awaited<ReturnType<typeof write>>;
    for (let draws = 1; ; draws++) {
      try {
        failure = await write(licenses);
        break;
      } catch (error) {
        if (!(error instanceof CodeCollisionError) || draws >= 5) throw error;
        const collided = new Set(error.codes);
        licenses = licenses.map((l) =>
          collided.has(l.activationCode ?? '')
            ? { ...l, activationCode: drawCode('activation-code', deps.random, deps.codePrefix) }
            : l,
        );
      }
    }
    if (!failure) {
      await sendConfirmation(
        registrationMail(session.email, business, order, licenses, conflicts, deps),
        { orderId: order.orderId, businessId, setup: session.sessionKey.slice(0, 16) },
        deps,
      );
      return { consoleUrl: deps.consoleUrl, registered: licenses };
    }
    if (failure.conflict === 'session-moved') throw new OrderRegisteredError(true);
    if (failure.conflict === 'key-replaced') throw new CodeReplacedError();
    // order-moved: another registration (or a racing write) changed the order; read it again.
  }
  throw new Error(`Order ${session.orderId} kept changing during registration`);
}

function lineLicense(
  order: Order,
  line: OrderLine,
  businessId: string,
  at: string,
  deps: RegistrationDeps,
): DirectLicense {
  const service = findService(deps.catalog, line.service);
  return {
    reference: orderLicenseReference(order.orderId, line.lineNo),
    businessId,
    productCode: line.productCode,
    credits: line.credits,
    expiresAt: line.expiresAt,
    description: `Order ${order.orderId}, line ${line.lineNo}: ${service?.name ?? line.service}`,
    createdAt: at,
    activationCode: drawCode('activation-code', deps.random, deps.codePrefix),
    orderId: order.orderId,
    lineNo: line.lineNo,
    service: line.service,
    startsAt: line.startsAt,
  };
}

/**
 * The confirmation (seed 003: "Email will be sent to notify successful registration"), with each
 * license's Activation Code (seed 001: the Activation Code is sent by mail once registered).
 */
function registrationMail(
  to: string,
  business: Business,
  order: Order,
  licenses: readonly DirectLicense[],
  conflicts: readonly number[],
  deps: Pick<RegistrationDeps, 'productName' | 'consoleUrl'>,
) {
  return {
    to,
    subject: `Your ${deps.productName} order ${order.orderId} is registered`,
    text: [
      `Order ${order.orderId} is registered to ${business.name}. These licenses are active now:`,
      '',
      ...licenses.map(
        (l) =>
          `  Line ${l.lineNo}: ${l.service} - ${l.credits} credits until ${l.expiresAt.slice(0, 10)}\n    Activation Code: ${l.activationCode}`,
      ),
      ...(conflicts.length > 0
        ? [
            '',
            `Line(s) ${conflicts.join(', ')} conflict with a service this account has and were not registered: register them to another account.`,
          ]
        : []),
      '',
      'Keep the Activation Codes safe; if one is lost or stolen, contact support to replace it.',
      '',
      `Open the console: ${deps.consoleUrl}`,
    ].join('\n'),
  };
}
