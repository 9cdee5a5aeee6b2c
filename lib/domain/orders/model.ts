/**
 * Orders from other channels (R12): a reseller's or a direct sale's purchase of several lines,
 * each with its Registration Key (R11). Any key of an order registers the whole order to one
 * business: every line not yet registered and not in conflict becomes a license of that
 * business, whose credits join its total (R2) like a marketplace contract's.
 */

/** At most this many lines per order: a registration writes every line, its license and its code in one transaction. */
export const MAX_ORDER_LINES = 40;

/** Order ids as the vendor's systems name them: checked by pattern before any read. */
export const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface OrderCompany {
  /** The buyer's company as the order names it (shown in the preview and to sales). */
  readonly name: string;
  /** Where the order says the buyer can be reached; not a login id, never mailed by us. */
  readonly email?: string;
  readonly country?: string;
}

/** One line as imported: a service of a product with its credits for a term. */
export interface OrderLineInput {
  readonly productCode: string;
  /** A service id of the product's catalog (R14). */
  readonly service: string;
  /** Credits of the line; or `units`, priced at the service's published rate. */
  readonly credits?: number;
  readonly units?: number;
  /** The term (ISO 8601 instants); it starts at import when absent. */
  readonly startsAt?: string;
  readonly expiresAt: string;
}

export interface OrderInput {
  readonly orderId: string;
  readonly company: OrderCompany;
  readonly lines: readonly OrderLineInput[];
  /** Who imported it (sales, the vendor's backend), for the audit trail. */
  readonly importedBy?: string;
}

export interface OrderLine {
  /** 1, 2, 3 … in the order imported. */
  readonly lineNo: number;
  readonly productCode: string;
  readonly service: string;
  readonly units?: number;
  readonly credits: number;
  readonly startsAt: string;
  readonly expiresAt: string;
  /** The line's Registration Key (R11), canonical form. */
  readonly registrationKey: string;
  /** Set once, by the registration that took the line (R3: never changed by anything but a transfer). */
  readonly registeredBy?: string;
  readonly registeredAt?: string;
  /** The license the line became: `order~<orderId>~<lineNo>` (a direct license). */
  readonly licenseReference?: string;
}

export type OrderState = 'open' | 'partly-registered' | 'registered';
/** Every order state, in the order an order goes through them (filters, forms, CLIs). */
export const ORDER_STATES = [
  'open',
  'partly-registered',
  'registered',
] as const satisfies readonly OrderState[];

export interface Order {
  readonly orderId: string;
  readonly company: OrderCompany;
  readonly lines: readonly OrderLine[];
  readonly importedAt: string;
  readonly importedBy?: string;
  /** +1 on every write: the registration's optimistic lock, so two buyers of one order cannot both win. */
  readonly revision: number;
  readonly updatedAt: string;
}

export function orderState(order: Pick<Order, 'lines'>): OrderState {
  const registered = order.lines.filter((line) => line.registeredBy).length;
  if (registered === 0) return 'open';
  return registered === order.lines.length ? 'registered' : 'partly-registered';
}

/** The direct license a registered line becomes; `~` cannot appear in an API reference, so none collides. */
export function orderLicenseReference(orderId: string, lineNo: number): string {
  return `order~${orderId}~${lineNo}`;
}

/**
 * When a line conflicts with a service the business already has (seed 003, "conflicted SaaS"):
 * `overlapping-term` (the default) when a live license of the same service overlaps the line's
 * term; `same-service` when any live license of that service exists; `none` never.
 */
export type ConflictRule = 'overlapping-term' | 'same-service' | 'none';

/** A license of the business as the conflict check reads it. */
export interface HeldService {
  readonly licenseId: string;
  readonly service: string;
  readonly startsAt: string;
  readonly expiresAt: string;
}

export type PreviewLine =
  | { readonly state: 'open'; readonly line: OrderLine }
  | { readonly state: 'conflict'; readonly line: OrderLine; readonly conflictsWith: string };

/**
 * The order as a buyer previews it (R12): every line not yet registered, marked when it
 * conflicts with a service the business holds (those must go to another account). Registered
 * lines are left out. Without a business (not signed in yet), nothing conflicts.
 */
export function previewOrder(
  order: Pick<Order, 'lines'>,
  held: readonly HeldService[],
  ruleOf: (productCode: string) => ConflictRule,
  now: Date,
): PreviewLine[] {
  const live = held.filter((h) => Date.parse(h.expiresAt) > now.getTime());
  return order.lines
    .filter((line) => !line.registeredBy)
    .map((line): PreviewLine => {
      const rule = ruleOf(line.productCode);
      const clash =
        rule === 'none'
          ? undefined
          : live.find(
              (h) =>
                h.service === line.service &&
                (rule === 'same-service' ||
                  (Date.parse(h.startsAt) < Date.parse(line.expiresAt) &&
                    Date.parse(line.startsAt) < Date.parse(h.expiresAt))),
            );
      return clash ? { state: 'conflict', line, conflictsWith: clash.licenseId } : { state: 'open', line };
    });
}

/**
 * Whether a stored order is what an import describes (its keys and registration aside):
 * importing the same order again changes nothing. A line without `startsAt` matches any start
 * (it started at the first import); instants compare as instants, whatever their zone.
 */
export function matchesInput(
  order: Order,
  input: OrderInput,
  creditsOf: (line: OrderLineInput) => number,
): boolean {
  const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);
  return (
    order.orderId === input.orderId &&
    order.company.name === input.company.name &&
    (order.company.email ?? '') === (input.company.email ?? '') &&
    (order.company.country ?? '') === (input.company.country ?? '') &&
    order.lines.length === input.lines.length &&
    order.lines.every((line, i) => {
      const other = input.lines[i];
      return (
        other !== undefined &&
        line.productCode === other.productCode &&
        line.service === other.service &&
        (line.units ?? null) === (other.units ?? null) &&
        line.credits === creditsOf(other) &&
        sameInstant(line.expiresAt, other.expiresAt) &&
        (other.startsAt === undefined || sameInstant(line.startsAt, other.startsAt))
      );
    })
  );
}

/** A line as the APIs and the sales view show it: its key, and the license it became once registered. */
export type OrderLineView = Omit<OrderLine, 'licenseReference'> & {
  /** The direct license the line became: `direct~order~<orderId>~<lineNo>`. */
  readonly licenseId?: string;
};

/** An order as the APIs and the sales view show it. */
export interface OrderView {
  readonly orderId: string;
  readonly company: OrderCompany;
  readonly state: OrderState;
  readonly importedAt: string;
  readonly importedBy?: string;
  readonly lines: readonly OrderLineView[];
}

/** An order as the APIs and the sales view show it: its state, and each line with its key and license. */
export function orderViewOf(order: Order): OrderView {
  return {
    orderId: order.orderId,
    company: order.company,
    state: orderState(order),
    importedAt: order.importedAt,
    ...(order.importedBy ? { importedBy: order.importedBy } : {}),
    lines: order.lines.map(({ licenseReference, ...line }) => ({
      ...line,
      ...(licenseReference ? { licenseId: `direct~${licenseReference}` } : {}),
    })),
  };
}
