import { drawCode, type RandomBytes } from '../codes/codes.js';
import { CodeCollisionError } from '../codes/records.js';
import type { Clock } from '../contract/ports.js';
import { MAX_LICENSE_CREDITS } from '../credits/use-cases.js';
import type { HistoryEntry } from '../events/history.js';
import { findProductByCode, type ProductCatalog } from '../product/catalog.js';
import { InvalidOrderError, OrderConflictError } from './errors.js';
import {
  MAX_ORDER_LINES,
  matchesInput,
  type Order,
  type OrderInput,
  type OrderLine,
  type OrderLineInput,
} from './model.js';
import type { OrderStore } from './ports.js';

export interface ImportOrderDeps {
  readonly orders: OrderStore;
  readonly catalog: ProductCatalog;
  readonly clock: Clock;
  /** A CSPRNG in production: Registration Keys are drawn from it (R11). */
  readonly random: RandomBytes;
  /** The two letters codes start with; `PC` unless configured. */
  readonly codePrefix?: string;
}

/** Keys drawn again when some already exist (10^15 keys: a collision is rare, and only redrawn). */
const KEY_DRAWS = 5;

/** Credits of a line: as given, or its units at the service's published rate (R14). */
function creditsOfLine(catalog: ProductCatalog, line: OrderLineInput): number {
  if (line.credits !== undefined) return line.credits;
  const rate = findProductByCode(catalog, line.productCode)?.services?.[line.service]?.creditsPerUnit ?? 0;
  return (line.units ?? 0) * rate;
}

/** What the catalog and the calendar say about an order's lines, by field; empty when it is valid. */
export function orderProblems(input: OrderInput, catalog: ProductCatalog, now: Date): Record<string, string> {
  const problems: Record<string, string> = {};
  if (input.lines.length === 0) problems.lines = 'at least one line';
  if (input.lines.length > MAX_ORDER_LINES) problems.lines = `at most ${MAX_ORDER_LINES} lines`;
  input.lines.forEach((line, i) => {
    const at = `lines[${i}]`;
    const product = findProductByCode(catalog, line.productCode);
    if (!product) {
      problems[`${at}.productCode`] = 'a product of this deployment';
      return;
    }
    if (!product.services || !Object.hasOwn(product.services, line.service)) {
      problems[`${at}.service`] = `a service of ${line.productCode}`;
    }
    if ((line.credits === undefined) === (line.units === undefined)) {
      problems[`${at}.credits`] =
        line.credits === undefined ? 'credits or units' : 'either credits or units, not both';
    } else if (creditsOfLine(catalog, line) <= 0) {
      problems[`${at}.credits`] = 'more than zero credits';
    } else if (creditsOfLine(catalog, line) > MAX_LICENSE_CREDITS) {
      problems[`${at}.units`] = `at most ${MAX_LICENSE_CREDITS} credits at the service's rate`;
    }
    const ends = Date.parse(line.expiresAt);
    if (!(ends > now.getTime())) problems[`${at}.expiresAt`] = 'a date in the future';
    // A registered line counts from registration (R2): a term that starts later would count
    // its credits early, beside the term it follows. A renewal is a new order, imported when
    // its term starts (seed 003: renewals keep their own flow).
    if (line.startsAt !== undefined && !(Date.parse(line.startsAt) < ends)) {
      problems[`${at}.startsAt`] = 'before expiresAt';
    } else if (line.startsAt !== undefined && Date.parse(line.startsAt) > now.getTime()) {
      problems[`${at}.startsAt`] = 'not in the future: import a renewal when its term starts';
    }
  });
  return problems;
}

/**
 * Imports an order from another channel (R12): each line gets its Registration Key (R11), the
 * order and its keys are written together, and importing the same order again changes nothing
 * (200 with the stored order and its keys). The same id with other content is refused: an
 * import is never an update. Keys that exist already are drawn again.
 */
export async function importOrder(
  input: OrderInput,
  deps: ImportOrderDeps,
): Promise<{ readonly created: boolean; readonly order: Order }> {
  const now = deps.clock.now();
  const existing = await deps.orders.get(input.orderId);
  if (existing) return same(existing);
  const problems = orderProblems(input, deps.catalog, now);
  if (Object.keys(problems).length > 0) throw new InvalidOrderError(problems);
  const at = now.toISOString();
  const draw = () => drawCode('registration-key', deps.random, deps.codePrefix);
  let lines: OrderLine[] = input.lines.map((line, i) => ({
    lineNo: i + 1,
    productCode: line.productCode,
    service: line.service,
    ...(line.units !== undefined ? { units: line.units } : {}),
    credits: creditsOfLine(deps.catalog, line),
    startsAt: new Date(line.startsAt ? Date.parse(line.startsAt) : now.getTime()).toISOString(),
    expiresAt: new Date(Date.parse(line.expiresAt)).toISOString(),
    registrationKey: draw(),
  }));
  for (let attempt = 1; ; attempt++) {
    const order: Order = {
      orderId: input.orderId,
      company: input.company,
      lines,
      importedAt: at,
      ...(input.importedBy ? { importedBy: input.importedBy } : {}),
      revision: 1,
      updatedAt: at,
    };
    const history: HistoryEntry = {
      entity: 'history',
      type: 'order-imported',
      entryId: 'r1',
      at,
      by: input.importedBy ?? 'import',
      details: { company: input.company, lines: lines.length },
      event: {
        type: 'order.imported',
        data: {
          orderId: order.orderId,
          company: {
            name: order.company.name,
            ...(order.company.country ? { country: order.company.country } : {}),
          },
          lines: lines.map(({ registrationKey: _key, ...line }) => line),
        },
      },
    };
    try {
      const result = await deps.orders.importOrder(order, history);
      return result.created ? { created: true, order } : same(result.existing);
    } catch (error) {
      if (!(error instanceof CodeCollisionError) || attempt >= KEY_DRAWS) throw error;
      const collided = new Set(error.codes);
      lines = lines.map((line) =>
        collided.has(line.registrationKey) ? { ...line, registrationKey: draw() } : line,
      );
    }
  }

  function same(stored: Order) {
    if (!matchesInput(stored, input, (line) => creditsOfLine(deps.catalog, line)))
      throw new OrderConflictError(input.orderId);
    return { created: false, order: stored };
  }
}
