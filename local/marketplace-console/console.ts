import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import {
  type Agreement,
  FREE_TRIAL_DAYS,
  LicenseStateError,
  type MarketplaceSimulator,
} from '../marketplace-simulator/index.js';
import {
  addUtcMonths as addMonths,
  type License,
  licenseExpiration,
  newAccountId,
} from '../marketplace-simulator/license.js';
import {
  type AgreementTerm,
  type BuyerAction,
  buildNotifications,
  NOTIFICATION_MODES,
  type NotificationMode,
  type NotificationSubject,
} from './notifications.js';
import type { ApiOrder, OrderImport, OrdersApi } from './orders.js';

/**
 * The buyer's side of AWS Marketplace for the local stack: buyers, their purchases and the
 * notifications each action makes the marketplace send. Licenses and agreements live in the
 * simulator (which serves them through ResolveCustomer/GetEntitlements and the Agreement API);
 * the console ties them together per license (the license's current agreement, the
 * notification mode, whether it was cancelled or ended by a successor license) and keeps that
 * in its state file.
 *
 * Prices come from the simulator: 1.00 USD per credit per month (PRICE_PER_UNIT_MONTH_CENTS),
 * so 100 credits for 12 months is an agreement value of "1200.00"; free trials are "0.00".
 */

export interface ConsoleProduct {
  readonly productCode: string;
  readonly productId?: string | undefined;
  readonly creditsPerUnit?: Readonly<Record<string, number>> | undefined;
  readonly name?: string | undefined;
  /** The catalog's services (R14): what an order from another channel sells, by id. */
  readonly services?:
    | Readonly<
        Record<string, { readonly name: string; readonly unit: string; readonly creditsPerUnit: number }>
      >
    | undefined;
}

/** An order from another channel as the orders form describes it (R12): one to three lines. */
export interface OrderRequest {
  readonly orderId: string;
  readonly company: string;
  /** ISO 3166 alpha-2, optional. */
  readonly country?: string | undefined;
  readonly lines: readonly {
    /** A service id of the catalog. */
    readonly service: string;
    /** Units at the service's rate, or credits as they are. */
    readonly by: 'units' | 'credits';
    readonly amount: number;
    /** The term, from now. */
    readonly months: number;
  }[];
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
  /**
   * The license API's orders (R12), signed as the product stand-in signs its calls: the orders
   * page imports through it. Without it the page says orders need the local stack.
   */
  readonly orders?: OrdersApi | undefined;
  /** Sends one SQS message body to the notifications queue. */
  readonly publish: (body: string) => Promise<void>;
  /** JSON file: loaded at start (licenses go into the simulator), rewritten after every change. */
  readonly stateFile?: string | undefined;
  readonly defaultMode: NotificationMode;
  readonly now?: (() => Date) | undefined;
  /** The proposer of "through a channel partner" purchases. Default 210987654321. */
  readonly channelPartnerAccountId?: string | undefined;
}

export const LIMITS = {
  credits: { min: 1, max: 1_000_000 },
  months: { min: 1, max: 60 },
  buyerName: { max: 80 },
  companyName: { max: 200 },
  orderLines: { max: 3 },
} as const;

/** Order ids as the license API takes them (lib/domain/orders/model.ts ORDER_ID). */
const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

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
  /** The license's current agreement in the simulator (the last of its chain on this license). */
  agreementId: string;
  mode: NotificationMode;
  cancelled: boolean;
  /** Set once a renewal or replacement under a new license ended this one. */
  successorLicenseArn?: string;
  /** The license this one renewed or replaced. */
  predecessorLicenseArn?: string;
}

/** `ended`: a renewal or replacement under a new license took over; this license has no entitlements left. */
export type LicenseStatus = 'active' | 'expired' | 'cancelled' | 'ended';

/** The license's current agreement, as the simulator reports it. */
export interface ConsoleAgreement {
  readonly id: string;
  readonly status: Agreement['status'];
  readonly intent: Agreement['intent'];
  readonly initialAgreementId: string;
  readonly previousAgreementId?: string;
  /** Estimated value, e.g. `1200.00` (USD). */
  readonly value: string;
  readonly freeTrial: boolean;
  /** Bought through a channel partner: the seller is only the manufacturer. */
  readonly channelPartner: boolean;
  readonly lastUpdateTime: string;
}

export interface ConsoleLicense extends Readonly<LicenseFacts> {
  readonly status: LicenseStatus;
  readonly customerIdentifier?: string;
  readonly creditsDimension: string;
  /** Quantity per dimension, as GetEntitlements reports it. */
  readonly quantities: Readonly<Record<string, number>>;
  /** ISO; absent once cancelled (the license has no entitlements left). */
  readonly endDate?: string;
  /** Older agreements of the chain, oldest first (including those of predecessor licenses). */
  readonly previousAgreementIds: readonly string[];
  readonly agreementStartTime: string;
  readonly offerId: string;
  readonly autoRenew: boolean;
  readonly agreement: ConsoleAgreement;
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
  /** The bodies the buyer chose to drop ("drop the notifications"): built, never published. */
  readonly dropped: readonly string[];
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

/** Every action can drop its notifications: the marketplace changes, nothing is published. */
export interface ActionOptions {
  dropNotifications?: boolean;
}

export interface MarketplaceConsole {
  readonly setupUrl: string;
  readonly productUrl?: string | undefined;
  readonly defaultMode: NotificationMode;
  readonly products: readonly ConsoleProduct[];
  state(): ConsoleState;
  createBuyer(name: string): Buyer;
  purchase(
    request: {
      accountId: string;
      productCode: string;
      credits: number;
      months: number;
      mode?: NotificationMode;
      autoRenew?: boolean;
      /** A 30-day free trial (freeTrialPricingTerm, value 0.00, no renewal term); `months` only names the selector. */
      freeTrial?: boolean;
      /** A channel partner's private offer: the agreement is manufacturer-only for the seller. */
      channelPartner?: boolean;
    } & ActionOptions,
  ): Promise<ActionResult>;
  /** Adds `credits` to the credits dimension; the end date stays. */
  upgrade(request: { licenseArn: string; credits: number } & ActionOptions): Promise<ActionResult>;
  /** Extends the end date by `months`; `credits`, when given, is the renewed term's quantity. Same license. */
  renew(
    request: { licenseArn: string; months: number; credits?: number } & ActionOptions,
  ): Promise<ActionResult>;
  /**
   * Renewal under a new license: a new license (same buyer and product; `credits` or the old
   * quantity) ending `months` after the old end, a RENEW agreement chained to the old one (now
   * RENEWED), and the old license's entitlements removed.
   */
  renewWithNewLicense(
    request: { licenseArn: string; months: number; credits?: number } & ActionOptions,
  ): Promise<ActionResult>;
  /**
   * A private offer replaces the contract under a new license, from now for `months`: a REPLACE
   * agreement on a new offer chained to the old one (now REPLACED), the old license revoked.
   */
  replaceWithPrivateOffer(
    request: { licenseArn: string; months: number; credits?: number } & ActionOptions,
  ): Promise<ActionResult>;
  cancel(request: { licenseArn: string } & ActionOptions): Promise<ActionResult>;
  setAutoRenew(request: { licenseArn: string; enabled: boolean } & ActionOptions): Promise<ActionResult>;
  /** The license's current agreement in the simulator. */
  agreementFor(licenseArn: string): Agreement | undefined;
  /** A fresh registration token, as the "Set up your account" button carries it. */
  mintToken(licenseArn: string): string;
  /** The license API's orders, when the console has it (the local stack passes it). */
  readonly orders?: OrdersApi | undefined;
  /** Where a buyer registers an order with any of its keys: the setup function's /register. */
  readonly registerUrl: string;
  /** Checks the form's order and imports it through the license API (R12); the API's answer. */
  importOrder(request: OrderRequest): Promise<{ readonly created: boolean; readonly order: ApiOrder }>;
}

export function creditsDimension(product: ConsoleProduct): string {
  return Object.keys(product.creditsPerUnit ?? {})[0] ?? 'Credits';
}

const DEFAULT_CHANNEL_PARTNER = '210987654321';

/** The catalog id agreements name; derived from the product code when the catalog gives none. */
export function productIdOf(product: ConsoleProduct): string {
  return (
    product.productId ?? `prod-${createHash('sha256').update(product.productCode).digest('hex').slice(0, 13)}`
  );
}

export function createMarketplaceConsole(options: MarketplaceConsoleOptions): MarketplaceConsole {
  const { simulator } = options;
  const now = options.now ?? (() => new Date());
  const channelPartnerAccountId = options.channelPartnerAccountId ?? DEFAULT_CHANNEL_PARTNER;
  const buyers = new Map<string, Buyer>();
  const facts = new Map<string, LicenseFacts>();

  const findProduct = (code: string): ConsoleProduct | undefined =>
    options.products.find((p) => p.productCode === code);
  // A license from a state file whose product has left the catalog still shows and notifies.
  const productOf = (f: { productCode: string }): ConsoleProduct =>
    findProduct(f.productCode) ?? { productCode: f.productCode };

  if (options.stateFile !== undefined && existsSync(options.stateFile)) {
    const loaded = loadStateFile(options.stateFile);
    for (const buyer of loaded.buyers) buyers.set(buyer.accountId, buyer);
    for (const agreement of loaded.agreements ?? []) simulator.putAgreement(agreement as Agreement);
    for (const {
      license,
      previousAgreementIds,
      autoRenew,
      agreementStartTime,
      offerId,
      ...f
    } of loaded.licenses) {
      simulator.putLicense(license);
      facts.set(f.licenseArn, f);
      if (loaded.agreements === undefined) {
        // A state file from before agreements: give the license the agreement its events named.
        migrateAgreement(f, license, { previousAgreementIds, autoRenew, agreementStartTime, offerId });
      }
    }
  }

  function migrateAgreement(
    f: LicenseFacts,
    license: License,
    old: {
      previousAgreementIds?: string[];
      autoRenew?: boolean;
      agreementStartTime?: string;
      offerId?: string;
    },
  ): void {
    const end = licenseExpiration(license);
    const start = old.agreementStartTime === undefined ? now() : new Date(old.agreementStartTime);
    const endTime = end !== undefined && end > start ? end : new Date(start.getTime() + 1000);
    const quantities = Object.fromEntries(
      license.entitlements.length === 0
        ? [[creditsDimension(productOf(f)), 1]]
        : license.entitlements.map((e) => [e.dimension, Math.max(1, e.quantity)]),
    );
    const months = Math.max(1, Math.round((endTime.getTime() - start.getTime()) / (30.44 * 86_400_000)));
    const made = simulator.createAgreement({
      agreementId: f.agreementId,
      acceptorAccountId: f.accountId,
      proposerAccountId: options.sellerAccountId,
      productId: productIdOf(productOf(f)),
      licenseArn: f.licenseArn,
      quantities,
      months,
      startTime: start,
      endTime,
      autoRenew: old.autoRenew ?? false,
      ...(old.offerId === undefined ? {} : { offerId: old.offerId }),
    });
    const previous = old.previousAgreementIds ?? [];
    simulator.putAgreement({
      ...made,
      initialAgreementId: previous[0] ?? made.agreementId,
      ...(previous.length === 0 ? {} : { previousAgreementId: previous.at(-1), intent: 'RENEW' as const }),
    });
    if (f.cancelled) simulator.endAgreement(made.agreementId, 'CANCELLED');
  }

  const agreementOf = (f: LicenseFacts): Agreement => {
    const agreement = simulator.getAgreement(f.agreementId);
    if (agreement === undefined) throw new Error(`The simulator lost agreement ${f.agreementId}`);
    return agreement;
  };

  /** The chain before `agreement`, oldest first, following previousAgreementId through the simulator. */
  const chainBefore = (agreement: Agreement): string[] => {
    const chain: string[] = [];
    let previous = agreement.previousAgreementId;
    while (previous !== undefined && !chain.includes(previous)) {
      chain.unshift(previous);
      previous = simulator.getAgreement(previous)?.previousAgreementId;
    }
    return chain;
  };

  const view = (f: LicenseFacts): ConsoleLicense => {
    const license = simulator.getLicense(f.licenseArn);
    const agreement = agreementOf(f);
    const end = license === undefined ? undefined : licenseExpiration(license);
    const status: LicenseStatus = f.cancelled
      ? 'cancelled'
      : f.successorLicenseArn !== undefined
        ? 'ended'
        : end === undefined || end.getTime() <= now().getTime()
          ? 'expired'
          : 'active';
    return {
      ...f,
      status,
      ...(license?.customerIdentifier === undefined
        ? {}
        : { customerIdentifier: license.customerIdentifier }),
      creditsDimension: creditsDimension(productOf(f)),
      quantities: Object.fromEntries((license?.entitlements ?? []).map((e) => [e.dimension, e.quantity])),
      ...(end === undefined ? {} : { endDate: end.toISOString() }),
      previousAgreementIds: chainBefore(agreement),
      agreementStartTime: agreement.startTime.toISOString(),
      offerId: agreement.offerId,
      autoRenew:
        agreement.status === 'ACTIVE' && agreement.terms.renewalTerm?.configuration.enableAutoRenew === true,
      agreement: {
        id: agreement.agreementId,
        status: agreement.status,
        intent: agreement.intent,
        initialAgreementId: agreement.initialAgreementId,
        ...(agreement.previousAgreementId === undefined
          ? {}
          : { previousAgreementId: agreement.previousAgreementId }),
        value: agreement.estimatedCharges.agreementValue,
        freeTrial: agreement.terms.freeTrialPricingTerm !== undefined,
        channelPartner: agreement.manufacturerOnly,
        lastUpdateTime: agreement.lastUpdateTime.toISOString(),
      },
    };
  };

  const requireFacts = (licenseArn: string): LicenseFacts => {
    const found = facts.get(licenseArn);
    if (found === undefined) throw new ConsoleNotFoundError(`No license ${licenseArn} in this console`);
    return found;
  };

  /** A license the buyer can still act on: not cancelled, not taken over by a successor license. */
  const requireLive = (licenseArn: string, verb: string): LicenseFacts => {
    const f = requireFacts(licenseArn);
    if (f.cancelled) throw new LicenseStateError(`License ${licenseArn} was cancelled; it cannot be ${verb}`);
    if (f.successorLicenseArn !== undefined) {
      throw new LicenseStateError(
        `License ${licenseArn} was ended by ${f.successorLicenseArn}; it cannot be ${verb}`,
      );
    }
    return f;
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
      `${JSON.stringify(
        { version: 1, buyers: [...buyers.values()], licenses, agreements: simulator.listAgreements() },
        null,
        2,
      )}\n`,
    );
  };

  const term = (f: LicenseFacts): AgreementTerm => {
    const agreement = agreementOf(f);
    return {
      startTime: agreement.startTime,
      endTime: agreement.endTime,
      autoRenew: agreement.terms.renewalTerm?.configuration.enableAutoRenew === true,
    };
  };

  const subjectOf = (f: LicenseFacts): NotificationSubject => {
    const agreement = agreementOf(f);
    return {
      productCode: f.productCode,
      productId: productOf(f).productId,
      licenseArn: f.licenseArn,
      customerAWSAccountId: f.accountId,
      customerIdentifier: simulator.getLicense(f.licenseArn)?.customerIdentifier,
      agreementId: f.agreementId,
      offerId: agreement.offerId,
      sellerAccountId: options.sellerAccountId,
      channelPartner: agreement.manufacturerOnly
        ? {
            accountId: agreement.proposerAccountId,
            resaleAuthorizationId: `resaleauthz-${agreement.offerId.slice(-20)}`,
          }
        : undefined,
    };
  };

  /** After the simulator changed: save, build the bodies, publish them in order (or drop them). */
  const notify = async (
    f: LicenseFacts,
    action: BuyerAction,
    what: string,
    drop: boolean | undefined,
  ): Promise<ActionResult> => {
    save();
    const bodies = buildNotifications(f.mode, subjectOf(f), action, { now: now() });
    const sent = drop === true ? [] : bodies;
    const result: ActionResult = {
      license: view(f),
      mode: f.mode,
      sent,
      dropped: drop === true ? bodies : [],
      change: what,
      summary: `${what}: ${drop === true ? describeDropped(bodies.length) : describeSent(f.mode, sent.length)}`,
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

  const agreementLiveOrThrow = (f: LicenseFacts, verb: string): Agreement => {
    const agreement = agreementOf(f);
    if (agreement.status !== 'ACTIVE') {
      throw new LicenseStateError(
        `Agreement ${agreement.agreementId} is ${agreement.status}; it cannot be ${verb}`,
      );
    }
    return agreement;
  };

  /** Renewal or replacement under a new license (the two differ in offer, dates and intent). */
  const moveToNewLicense = async (
    intent: 'RENEW' | 'REPLACE',
    request: { licenseArn: string; months: number; credits?: number } & ActionOptions,
  ): Promise<ActionResult> => {
    const verb = intent === 'RENEW' ? 'renewed' : 'replaced';
    const old = requireLive(request.licenseArn, verb);
    checkCount(request.months, 'months');
    if (request.credits !== undefined) checkCount(request.credits, 'credits');
    const oldAgreement = agreementLiveOrThrow(old, verb);
    const oldLicense = simulator.getLicense(old.licenseArn);
    const oldEnd = oldLicense === undefined ? undefined : licenseExpiration(oldLicense);
    if (oldLicense === undefined || oldEnd === undefined) {
      throw new LicenseStateError(`License ${old.licenseArn} has no contract to carry on`);
    }
    const product = productOf(old);
    const dimension = creditsDimension(product);
    const quantities =
      request.credits === undefined
        ? Object.fromEntries(oldLicense.entitlements.map((e) => [e.dimension, e.quantity]))
        : { [dimension]: request.credits };
    // A renewal continues the term; a private offer's term starts when it is accepted.
    const startTime = now();
    const endDate =
      intent === 'RENEW' ? addMonths(oldEnd, request.months) : addMonths(startTime, request.months);
    const bought = simulator.purchase({
      productCode: old.productCode,
      customerAWSAccountId: old.accountId,
      quantities,
      months: request.months,
      endDate,
    });
    // A legacy buyer keeps its customer identifier, so SNS still names the same customer.
    if (oldLicense.customerIdentifier !== undefined) {
      simulator.putLicense({ ...bought, customerIdentifier: oldLicense.customerIdentifier });
    }
    const agreement = simulator.createAgreement({
      acceptorAccountId: old.accountId,
      proposerAccountId: oldAgreement.proposerAccountId,
      productId: oldAgreement.productId,
      licenseArn: bought.licenseArn,
      quantities,
      months: request.months,
      startTime,
      endTime: endDate,
      autoRenew: oldAgreement.terms.renewalTerm?.configuration.enableAutoRenew === true,
      manufacturerOnly: oldAgreement.manufacturerOnly,
      previousAgreementId: oldAgreement.agreementId,
      intent,
    });
    simulator.cancel(old.licenseArn);
    old.successorLicenseArn = bought.licenseArn;
    const f: LicenseFacts = {
      licenseArn: bought.licenseArn,
      accountId: old.accountId,
      productCode: old.productCode,
      agreementId: agreement.agreementId,
      mode: old.mode,
      cancelled: false,
      predecessorLicenseArn: old.licenseArn,
    };
    facts.set(f.licenseArn, f);
    return notify(
      f,
      { type: 'new-license', intent, previous: subjectOf(old), ...term(f) },
      `${intent === 'RENEW' ? 'Renewed' : 'Replaced'} ${oldAgreement.agreementId} as ${agreement.agreementId} under the new license ${bought.licenseArn}`,
      request.dropNotifications,
    );
  };

  /** The lines of an order request as the license API takes them; refused in plain words. */
  const orderImport = (request: OrderRequest): OrderImport => {
    if (!ORDER_ID.test(request.orderId)) {
      throw new ConsoleInputError(
        'An order id is 1 to 64 letters, digits and . _ : -, starting with a letter or digit',
      );
    }
    const company = request.company.trim();
    if (company.length === 0 || company.length > LIMITS.companyName.max || /\p{Cc}/u.test(company)) {
      throw new ConsoleInputError(`A company name is 1 to ${LIMITS.companyName.max} characters, on one line`);
    }
    const country = request.country?.trim().toUpperCase();
    if (country && !/^[A-Z]{2}$/.test(country)) {
      throw new ConsoleInputError('A country is a two-letter ISO code such as DE, or empty');
    }
    if (request.lines.length === 0 || request.lines.length > LIMITS.orderLines.max) {
      throw new ConsoleInputError(
        `An order has 1 to ${LIMITS.orderLines.max} lines: pick a service for each`,
      );
    }
    const lines = request.lines.map((line, i) => {
      const product = options.products.find((p) => p.services && Object.hasOwn(p.services, line.service));
      if (!product) throw new ConsoleInputError(`Line ${i + 1}: pick a service of the catalog`);
      if (!(Number.isInteger(line.amount) && line.amount >= 1 && line.amount <= LIMITS.credits.max)) {
        throw new ConsoleInputError(
          `Line ${i + 1}: ${line.by} is a whole number from 1 to ${LIMITS.credits.max}`,
        );
      }
      if (
        !(
          Number.isInteger(line.months) &&
          line.months >= LIMITS.months.min &&
          line.months <= LIMITS.months.max
        )
      ) {
        throw new ConsoleInputError(`Line ${i + 1}: months is a whole number from 1 to ${LIMITS.months.max}`);
      }
      return {
        productCode: product.productCode,
        service: line.service,
        ...(line.by === 'units' ? { units: line.amount } : { credits: line.amount }),
        expiresAt: addMonths(now(), line.months).toISOString(),
      };
    });
    return { orderId: request.orderId, company: { name: company, ...(country ? { country } : {}) }, lines };
  };

  return {
    setupUrl: options.setupUrl,
    productUrl: options.productUrl,
    defaultMode: options.defaultMode,
    products: options.products,
    orders: options.orders,
    registerUrl: new URL('/register', options.setupUrl).href,

    importOrder(request) {
      const api = options.orders;
      if (!api) {
        throw new ConsoleInputError(
          'Orders are imported through the license API: start the local stack (npm start)',
        );
      }
      return api.importOrder(orderImport(request));
    },

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
      const freeTrial = request.freeTrial === true;
      const channelPartner = request.channelPartner === true;
      const dimension = creditsDimension(product);
      const quantities = { [dimension]: request.credits };
      const startTime = now();
      const trialEnd = new Date(startTime.getTime() + FREE_TRIAL_MS);
      // SNS names buyers by customer identifier, which only legacy listings hand out.
      const license = simulator.purchase({
        productCode: product.productCode,
        customerAWSAccountId: buyer.accountId,
        quantities,
        months: request.months,
        legacy: mode === 'sns',
        ...(freeTrial ? { endDate: trialEnd } : {}),
      });
      const agreement = simulator.createAgreement({
        acceptorAccountId: buyer.accountId,
        proposerAccountId: channelPartner ? channelPartnerAccountId : options.sellerAccountId,
        productId: productIdOf(product),
        licenseArn: license.licenseArn,
        quantities,
        months: request.months,
        startTime,
        ...(freeTrial ? { endTime: trialEnd } : {}),
        autoRenew: request.autoRenew ?? false,
        freeTrial,
        manufacturerOnly: channelPartner,
      });
      const f: LicenseFacts = {
        licenseArn: license.licenseArn,
        accountId: buyer.accountId,
        productCode: product.productCode,
        agreementId: agreement.agreementId,
        mode,
        cancelled: false,
      };
      facts.set(f.licenseArn, f);
      const how = [freeTrial ? 'as a 30-day free trial' : `for ${plural(request.months, 'month')}`];
      if (channelPartner) how.push('through a channel partner');
      return notify(
        f,
        { type: 'purchase', ...term(f) },
        `${buyer.name} bought ${request.credits} ${dimension} of ${product.productCode} ${how.join(' ')}`,
        request.dropNotifications,
      );
    },

    async upgrade({ licenseArn, credits, dropNotifications }) {
      checkCount(credits, 'credits');
      const f = requireLive(licenseArn, 'upgraded');
      agreementLiveOrThrow(f, 'upgraded');
      const dimension = creditsDimension(productOf(f));
      simulator.upgrade(licenseArn, { [dimension]: credits });
      simulator.amendAgreement(f.agreementId, { addQuantities: { [dimension]: credits } });
      return notify(
        f,
        { type: 'upgrade', ...term(f) },
        `Added ${credits} ${dimension} to ${f.agreementId}`,
        dropNotifications,
      );
    },

    async renew({ licenseArn, months, credits, dropNotifications }) {
      checkCount(months, 'months');
      if (credits !== undefined) checkCount(credits, 'credits');
      const f = requireLive(licenseArn, 'renewed');
      const previous = agreementOf(f);
      const dimension = creditsDimension(productOf(f));
      const renewed = simulator.renew(licenseArn, {
        months,
        ...(credits === undefined ? {} : { quantities: { [dimension]: credits } }),
      });
      // A renewal is a new agreement (MARKETPLACE.md §5) on the same license; the old one becomes RENEWED.
      const agreement = simulator.createAgreement({
        acceptorAccountId: f.accountId,
        proposerAccountId: previous.proposerAccountId,
        productId: previous.productId,
        licenseArn,
        quantities: Object.fromEntries(renewed.entitlements.map((e) => [e.dimension, e.quantity])),
        months,
        startTime: now(),
        endTime: licenseExpiration(renewed) ?? addMonths(now(), months),
        autoRenew: previous.terms.renewalTerm?.configuration.enableAutoRenew === true,
        manufacturerOnly: previous.manufacturerOnly,
        previousAgreementId: previous.agreementId,
        intent: 'RENEW',
      });
      f.agreementId = agreement.agreementId;
      return notify(
        f,
        { type: 'renew', previousAgreementId: previous.agreementId, ...term(f) },
        `Renewed ${previous.agreementId} for ${plural(months, 'month')} as ${f.agreementId}`,
        dropNotifications,
      );
    },

    renewWithNewLicense: (request) => moveToNewLicense('RENEW', request),

    replaceWithPrivateOffer: (request) => moveToNewLicense('REPLACE', request),

    async cancel({ licenseArn, dropNotifications }) {
      const f = requireFacts(licenseArn);
      if (f.cancelled) throw new LicenseStateError(`License ${licenseArn} is already cancelled`);
      requireLive(licenseArn, 'cancelled');
      simulator.cancel(licenseArn);
      if (agreementOf(f).status === 'ACTIVE') simulator.endAgreement(f.agreementId, 'CANCELLED');
      f.cancelled = true;
      return notify(f, { type: 'cancel' }, `Cancelled ${f.agreementId}`, dropNotifications);
    },

    async setAutoRenew({ licenseArn, enabled, dropNotifications }) {
      const f = requireLive(licenseArn, 'renewed');
      const agreement = agreementLiveOrThrow(f, 'changed');
      if (agreement.terms.renewalTerm === undefined) {
        throw new LicenseStateError(
          `Agreement ${f.agreementId} is a free trial; it has no renewal to turn on or off`,
        );
      }
      if (agreement.terms.renewalTerm.configuration.enableAutoRenew === enabled) {
        throw new LicenseStateError(`Auto-renew of ${f.agreementId} is already ${enabled ? 'on' : 'off'}`);
      }
      simulator.amendAgreement(f.agreementId, { autoRenew: enabled });
      return notify(
        f,
        { type: 'auto-renew', ...term(f) },
        `Turned auto-renew ${enabled ? 'on' : 'off'} for ${f.agreementId}`,
        dropNotifications,
      );
    },

    agreementFor(licenseArn) {
      const f = facts.get(licenseArn);
      return f === undefined ? undefined : simulator.getAgreement(f.agreementId);
    },

    mintToken(licenseArn) {
      requireFacts(licenseArn);
      return simulator.mintToken(licenseArn);
    },
  };
}

const FREE_TRIAL_MS = FREE_TRIAL_DAYS * 86_400_000;

function describeDropped(count: number): string {
  return `dropped ${plural(count, 'notification')} (nothing was published; the reconciliation sweep has to find the change)`;
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

// ---- state file ----

const isoDate = z.iso.datetime({ offset: true });
const dateField = isoDate.transform((s) => new Date(s));
// Agreements are the simulator's; their terms are kept as written (the simulator wrote them).
const agreementSchema = z
  .object({
    agreementId: z.string().regex(/^agmt-[a-z0-9]+$/),
    initialAgreementId: z.string(),
    previousAgreementId: z.string().optional(),
    intent: z.enum(['NEW', 'RENEW', 'REPLACE']),
    acceptorAccountId: z.string().regex(/^\d{12}$/),
    proposerAccountId: z.string().regex(/^\d{12}$/),
    productId: z.string(),
    offerId: z.string(),
    status: z.string(),
    startTime: dateField,
    endTime: dateField,
    acceptanceTime: dateField,
    lastUpdateTime: dateField,
    endTimeBehavior: z.object({ type: z.string() }).passthrough(),
    estimatedCharges: z.object({ currencyCode: z.literal('USD'), agreementValue: z.string() }),
    licenseArns: z.array(z.string()),
    terms: z.object({ legalTerm: z.unknown(), configurableUpfrontPricingTerm: z.unknown() }).passthrough(),
    manufacturerOnly: z.boolean(),
  })
  .passthrough();

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
      mode: z.enum(['sns', 'eventbridge']),
      cancelled: z.boolean(),
      successorLicenseArn: z.string().optional(),
      predecessorLicenseArn: z.string().optional(),
      // Files written before agreements moved into the simulator carry these instead.
      previousAgreementIds: z.array(z.string()).optional(),
      agreementStartTime: isoDate.optional(),
      offerId: z.string().min(1).optional(),
      autoRenew: z.boolean().optional(),
      license: z.object({
        licenseArn: z.string(),
        productCode: z.string(),
        customerAWSAccountId: z.string(),
        customerIdentifier: z.string().optional(),
        entitlements: z.array(
          z.object({
            dimension: z.string(),
            quantity: z.number(),
            expirationDate: dateField,
          }),
        ),
      }),
    }),
  ),
  /** Absent in files written before agreements moved into the simulator. */
  agreements: z.array(agreementSchema).optional(),
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
