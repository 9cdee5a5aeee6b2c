import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { LicenseStateError, type MarketplaceSimulator } from '../marketplace-simulator/index.js';
import { type License, licenseExpiration, newAccountId } from '../marketplace-simulator/license.js';
import {
  type AgreementTerm,
  type BuyerAction,
  buildNotifications,
  NOTIFICATION_MODES,
  type NotificationMode,
  type NotificationSubject,
} from './notifications.js';

/**
 * The buyer's side of AWS Marketplace for the local stack: buyers, their purchases and the
 * notifications each action makes the marketplace send. Licenses live in the simulator (which
 * answers ResolveCustomer/GetEntitlements); the console keeps what only the marketplace's
 * agreement side knows: agreement and offer ids, the auto-renew flag, the notification mode.
 */

export interface ConsoleProduct {
  readonly productCode: string;
  readonly productId?: string | undefined;
  readonly creditsPerUnit?: Readonly<Record<string, number>> | undefined;
}

export interface MarketplaceConsoleOptions {
  readonly simulator: MarketplaceSimulator;
  /** The deployment's catalog; the credits dimension is the first key of creditsPerUnit, or `Credits`. */
  readonly products: readonly ConsoleProduct[];
  readonly sellerAccountId: string;
  /** The fulfillment URL the "Set up your account" button POSTs to. */
  readonly setupUrl: string;
  /** The vendor's product (stand-in), linked from the page; where activation lands. */
  readonly productUrl?: string | undefined;
  /** Sends one SQS message body to the notifications queue. */
  readonly publish: (body: string) => Promise<void>;
  /** JSON file: loaded at start (licenses go into the simulator), rewritten after every change. */
  readonly stateFile?: string | undefined;
  readonly defaultMode: NotificationMode;
  readonly now?: (() => Date) | undefined;
}

export const LIMITS = {
  credits: { min: 1, max: 1_000_000 },
  months: { min: 1, max: 60 },
  buyerName: { max: 80 },
} as const;

export interface Buyer {
  readonly name: string;
  readonly accountId: string;
  readonly createdAt: string;
}

/** What the console adds to a simulator license; this is what the state file keeps besides it. */
interface LicenseFacts {
  licenseArn: string;
  accountId: string;
  productCode: string;
  agreementId: string;
  /** Older agreements of this license, oldest first: each renewal starts a new one. */
  previousAgreementIds: string[];
  agreementStartTime: string;
  offerId: string;
  autoRenew: boolean;
  mode: NotificationMode;
  cancelled: boolean;
}

export type LicenseStatus = 'active' | 'expired' | 'cancelled';

export interface ConsoleLicense extends Readonly<LicenseFacts> {
  readonly status: LicenseStatus;
  readonly customerIdentifier?: string;
  readonly creditsDimension: string;
  /** Quantity per dimension, as GetEntitlements reports it. */
  readonly quantities: Readonly<Record<string, number>>;
  /** ISO; absent once cancelled (the license has no entitlements left). */
  readonly endDate?: string;
}

export interface ConsoleState {
  readonly buyers: readonly Buyer[];
  readonly licenses: readonly ConsoleLicense[];
}

export interface ActionResult {
  readonly license: ConsoleLicense;
  readonly mode: NotificationMode;
  /** The SQS bodies published, in order. */
  readonly sent: readonly string[];
  /** What the marketplace changed, e.g. `Cancelled agmt-…`. */
  readonly change: string;
  /** One sentence for the page: the change and what was sent. */
  readonly summary: string;
}

/** A value a buyer typed is out of range or malformed. */
export class ConsoleInputError extends Error {
  override readonly name = 'ConsoleInputError';
}

/** The buyer or license named does not exist in this console. */
export class ConsoleNotFoundError extends Error {
  override readonly name = 'ConsoleNotFoundError';
}

/**
 * The marketplace made the change but a notification could not be queued. As in reality,
 * nothing is rolled back: `result` is what happened, `published` how many bodies got out.
 */
export class NotificationPublishError extends Error {
  override readonly name = 'NotificationPublishError';
  constructor(
    readonly result: ActionResult,
    readonly published: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `${result.change}, but notification ${published + 1} of ${result.sent.length} could not be queued: ${reason}`,
      { cause },
    );
  }
}

/** The state file exists but is not one this console wrote. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

export interface MarketplaceConsole {
  readonly setupUrl: string;
  readonly productUrl?: string | undefined;
  readonly defaultMode: NotificationMode;
  readonly products: readonly ConsoleProduct[];
  state(): ConsoleState;
  createBuyer(name: string): Buyer;
  purchase(request: {
    accountId: string;
    productCode: string;
    credits: number;
    months: number;
    mode?: NotificationMode;
    autoRenew?: boolean;
  }): Promise<ActionResult>;
  /** Adds `credits` to the credits dimension; the end date stays. */
  upgrade(request: { licenseArn: string; credits: number }): Promise<ActionResult>;
  /** Extends the end date by `months`; `credits`, when given, is the renewed term's quantity. */
  renew(request: { licenseArn: string; months: number; credits?: number }): Promise<ActionResult>;
  cancel(request: { licenseArn: string }): Promise<ActionResult>;
  setAutoRenew(request: { licenseArn: string; enabled: boolean }): Promise<ActionResult>;
  /** A fresh registration token, as the "Set up your account" button carries it. */
  mintToken(licenseArn: string): string;
}

export function creditsDimension(product: ConsoleProduct): string {
  return Object.keys(product.creditsPerUnit ?? {})[0] ?? 'Credits';
}

export function createMarketplaceConsole(options: MarketplaceConsoleOptions): MarketplaceConsole {
  const { simulator } = options;
  const now = options.now ?? (() => new Date());
  const buyers = new Map<string, Buyer>();
  const facts = new Map<string, LicenseFacts>();
  if (options.stateFile !== undefined && existsSync(options.stateFile)) {
    const loaded = loadStateFile(options.stateFile);
    for (const buyer of loaded.buyers) buyers.set(buyer.accountId, buyer);
    for (const { license, ...licenseFacts } of loaded.licenses) {
      simulator.putLicense(license);
      facts.set(licenseFacts.licenseArn, licenseFacts);
    }
  }

  const findProduct = (code: string): ConsoleProduct | undefined =>
    options.products.find((p) => p.productCode === code);
  // A license from a state file whose product has left the catalog still shows and notifies.
  const productOf = (f: LicenseFacts): ConsoleProduct =>
    findProduct(f.productCode) ?? { productCode: f.productCode };

  const view = (f: LicenseFacts): ConsoleLicense => {
    const license = simulator.getLicense(f.licenseArn);
    const end = license === undefined ? undefined : licenseExpiration(license);
    const status: LicenseStatus = f.cancelled
      ? 'cancelled'
      : end === undefined || end.getTime() <= now().getTime()
        ? 'expired'
        : 'active';
    return {
      ...f,
      previousAgreementIds: [...f.previousAgreementIds],
      status,
      ...(license?.customerIdentifier === undefined
        ? {}
        : { customerIdentifier: license.customerIdentifier }),
      creditsDimension: creditsDimension(productOf(f)),
      quantities: Object.fromEntries((license?.entitlements ?? []).map((e) => [e.dimension, e.quantity])),
      ...(end === undefined ? {} : { endDate: end.toISOString() }),
    };
  };

  const requireFacts = (licenseArn: string): LicenseFacts => {
    const found = facts.get(licenseArn);
    if (found === undefined) throw new ConsoleNotFoundError(`No license ${licenseArn} in this console`);
    return found;
  };

  const requireBuyer = (accountId: string): Buyer => {
    const buyer = buyers.get(accountId);
    if (buyer === undefined) throw new ConsoleNotFoundError(`No buyer with AWS account ${accountId}`);
    return buyer;
  };

  const save = (): void => {
    if (options.stateFile === undefined) return;
    const licenses = [...facts.values()].flatMap((f) => {
      const license = simulator.getLicense(f.licenseArn);
      return license === undefined ? [] : [{ ...f, license: serializeLicense(license) }];
    });
    writeAtomically(
      options.stateFile,
      `${JSON.stringify({ version: 1, buyers: [...buyers.values()], licenses }, null, 2)}\n`,
    );
  };

  const term = (f: LicenseFacts): AgreementTerm => {
    const license = simulator.getLicense(f.licenseArn);
    const end = license === undefined ? undefined : licenseExpiration(license);
    return { startTime: new Date(f.agreementStartTime), endTime: end ?? now(), autoRenew: f.autoRenew };
  };

  /** After the simulator changed: save, build the bodies, publish them in order. */
  const notify = async (f: LicenseFacts, action: BuyerAction, what: string): Promise<ActionResult> => {
    save();
    const license = view(f);
    const subject: NotificationSubject = {
      productCode: f.productCode,
      productId: productOf(f).productId,
      licenseArn: f.licenseArn,
      customerAWSAccountId: f.accountId,
      customerIdentifier: license.customerIdentifier,
      agreementId: f.agreementId,
      offerId: f.offerId,
      sellerAccountId: options.sellerAccountId,
    };
    const sent = buildNotifications(f.mode, subject, action, { now: now() });
    const result: ActionResult = {
      license,
      mode: f.mode,
      sent,
      change: what,
      summary: `${what}: ${describeSent(f.mode, sent.length)}`,
    };
    let published = 0;
    for (const body of sent) {
      try {
        await options.publish(body);
      } catch (error) {
        throw new NotificationPublishError(result, published, error);
      }
      published += 1;
    }
    return result;
  };

  return {
    setupUrl: options.setupUrl,
    productUrl: options.productUrl,
    defaultMode: options.defaultMode,
    products: options.products,

    state: () => ({ buyers: [...buyers.values()], licenses: [...facts.values()].map(view) }),

    createBuyer(name) {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > LIMITS.buyerName.max || /\p{Cc}/u.test(trimmed)) {
        throw new ConsoleInputError(`A buyer name is 1 to ${LIMITS.buyerName.max} characters, on one line`);
      }
      let accountId = newAccountId();
      while (buyers.has(accountId)) accountId = newAccountId();
      const buyer: Buyer = { name: trimmed, accountId, createdAt: now().toISOString() };
      buyers.set(accountId, buyer);
      save();
      return buyer;
    },

    async purchase(request) {
      const buyer = requireBuyer(request.accountId);
      const product = findProduct(request.productCode);
      if (product === undefined) throw new ConsoleInputError(`Unknown product ${request.productCode}`);
      checkCount(request.credits, 'credits');
      checkCount(request.months, 'months');
      const mode = request.mode ?? options.defaultMode;
      if (!NOTIFICATION_MODES.includes(mode))
        throw new ConsoleInputError(`Unknown notification mode ${mode}`);
      const dimension = creditsDimension(product);
      // SNS names buyers by customer identifier, which only legacy listings hand out.
      const license = simulator.purchase({
        productCode: product.productCode,
        customerAWSAccountId: buyer.accountId,
        quantities: { [dimension]: request.credits },
        months: request.months,
        legacy: mode === 'sns',
      });
      const f: LicenseFacts = {
        licenseArn: license.licenseArn,
        accountId: buyer.accountId,
        productCode: product.productCode,
        agreementId: newMarketplaceId('agmt-'),
        previousAgreementIds: [],
        agreementStartTime: now().toISOString(),
        offerId: newMarketplaceId('offer-'),
        autoRenew: request.autoRenew ?? false,
        mode,
        cancelled: false,
      };
      facts.set(f.licenseArn, f);
      return notify(
        f,
        { type: 'purchase', ...term(f) },
        `${buyer.name} bought ${request.credits} ${dimension} of ${product.productCode} for ${plural(request.months, 'month')}`,
      );
    },

    async upgrade({ licenseArn, credits }) {
      const f = requireFacts(licenseArn);
      checkCount(credits, 'credits');
      if (f.cancelled)
        throw new LicenseStateError(`License ${licenseArn} was cancelled; it cannot be upgraded`);
      const dimension = creditsDimension(productOf(f));
      simulator.upgrade(licenseArn, { [dimension]: credits });
      return notify(f, { type: 'upgrade', ...term(f) }, `Added ${credits} ${dimension} to ${f.agreementId}`);
    },

    async renew({ licenseArn, months, credits }) {
      const f = requireFacts(licenseArn);
      checkCount(months, 'months');
      if (credits !== undefined) checkCount(credits, 'credits');
      if (f.cancelled)
        throw new LicenseStateError(`License ${licenseArn} was cancelled; it cannot be renewed`);
      const dimension = creditsDimension(productOf(f));
      simulator.renew(licenseArn, {
        months,
        ...(credits === undefined ? {} : { quantities: { [dimension]: credits } }),
      });
      // A renewal is a new agreement (MARKETPLACE.md §5); the old one becomes RENEWED.
      const previousAgreementId = f.agreementId;
      f.previousAgreementIds.push(previousAgreementId);
      f.agreementId = newMarketplaceId('agmt-');
      f.agreementStartTime = now().toISOString();
      return notify(
        f,
        { type: 'renew', previousAgreementId, ...term(f) },
        `Renewed ${previousAgreementId} for ${plural(months, 'month')} as ${f.agreementId}`,
      );
    },

    async cancel({ licenseArn }) {
      const f = requireFacts(licenseArn);
      if (f.cancelled) throw new LicenseStateError(`License ${licenseArn} is already cancelled`);
      simulator.cancel(licenseArn);
      f.cancelled = true;
      f.autoRenew = false;
      return notify(f, { type: 'cancel' }, `Cancelled ${f.agreementId}`);
    },

    async setAutoRenew({ licenseArn, enabled }) {
      const f = requireFacts(licenseArn);
      if (f.cancelled)
        throw new LicenseStateError(`License ${licenseArn} was cancelled; it has nothing to renew`);
      if (f.autoRenew === enabled) {
        throw new LicenseStateError(`Auto-renew of ${f.agreementId} is already ${enabled ? 'on' : 'off'}`);
      }
      f.autoRenew = enabled;
      return notify(
        f,
        { type: 'auto-renew', ...term(f) },
        `Turned auto-renew ${enabled ? 'on' : 'off'} for ${f.agreementId}`,
      );
    },

    mintToken(licenseArn) {
      requireFacts(licenseArn);
      return simulator.mintToken(licenseArn);
    },
  };
}

function checkCount(value: number, what: 'credits' | 'months'): void {
  const { min, max } = LIMITS[what];
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConsoleInputError(
      `${what} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`,
    );
  }
}

function describeSent(mode: NotificationMode, count: number): string {
  if (count === 0) return 'sent nothing (SNS has no notification for this change)';
  return mode === 'sns'
    ? `sent ${plural(count, 'SNS notification')}`
    : `sent ${plural(count, 'EventBridge event')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `agmt-`/`offer-` plus 25 lowercase alphanumerics, the shape of real agreement and offer ids. */
export function newMarketplaceId(prefix: 'agmt-' | 'offer-'): string {
  let id = prefix;
  for (let i = 0; i < 25; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

// ---- state file ----

const isoDate = z.iso.datetime({ offset: true });
const stateFileSchema = z.object({
  version: z.literal(1),
  buyers: z.array(
    z.object({ name: z.string().min(1), accountId: z.string().regex(/^\d{12}$/), createdAt: isoDate }),
  ),
  licenses: z.array(
    z.object({
      licenseArn: z.string(),
      accountId: z.string().regex(/^\d{12}$/),
      productCode: z.string().min(1),
      agreementId: z.string().regex(/^agmt-[a-z0-9]+$/),
      previousAgreementIds: z.array(z.string()),
      agreementStartTime: isoDate,
      offerId: z.string().min(1),
      autoRenew: z.boolean(),
      mode: z.enum(['sns', 'eventbridge']),
      cancelled: z.boolean(),
      license: z.object({
        licenseArn: z.string(),
        productCode: z.string(),
        customerAWSAccountId: z.string(),
        customerIdentifier: z.string().optional(),
        entitlements: z.array(
          z.object({
            dimension: z.string(),
            quantity: z.number(),
            expirationDate: isoDate.transform((s) => new Date(s)),
          }),
        ),
      }),
    }),
  ),
});

function loadStateFile(path: string): z.infer<typeof stateFileSchema> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StateFileError(`Cannot read the marketplace console state ${path}: ${String(error)}`);
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StateFileError(
      `${path} is not a marketplace console state file (${first?.path.join('.') ?? ''}: ${first?.message ?? ''})`,
    );
  }
  return parsed.data;
}

function serializeLicense(license: License): unknown {
  return {
    ...license,
    entitlements: license.entitlements.map((e) => ({ ...e, expirationDate: e.expirationDate.toISOString() })),
  };
}

/** A crash mid-write leaves the old file whole: write a sibling, then rename over it. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomInt(1e9)}.tmp`;
  writeFileSync(temp, text, 'utf8');
  renameSync(temp, path);
}
