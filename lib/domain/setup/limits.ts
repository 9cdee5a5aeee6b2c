/**
 * Budgets that hold across sessions, replays and parallel requests: the public setup URL must
 * not become a way to mail strangers or to spend the seller's marketplace quota. Each budget is
 * a counter per key and fixed window, taken atomically (a conditional write) before the work it
 * pays for, so N parallel requests get at most `limit` between them. A fixed window lets up to
 * twice the limit through across a window boundary; that bound is what is promised.
 */

export interface Budget {
  /** What is counted, e.g. `mailbox:<hash>`; never an email address or a token in clear. */
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

export interface BudgetSpec {
  readonly limit: number;
  readonly windowMs: number;
}

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

/** Codes mailed to one mailbox (R7), whichever sessions, contracts or `+tag`s ask: 10 a day. */
export const MAILBOX_CODES: BudgetSpec = { limit: 10, windowMs: DAY };
/** Codes mailed for one contract across all its setup sessions: 30 a day. */
export const CONTRACT_CODES: BudgetSpec = { limit: 30, windowMs: DAY };
/**
 * Marketplace POSTs (each one a ResolveCustomer call on the seller's quota) from one source
 * address: 20 in 10 minutes. A buyer clicks "Set up your account" a few times at most; an
 * office behind one NAT address rarely has more than a few purchases an hour.
 */
export const SOURCE_REGISTRATIONS: BudgetSpec = { limit: 20, windowMs: 10 * MINUTE };

/**
 * Sign-in requests (a code asked for or re-sent, known email or not) from one source address:
 * 20 in 10 minutes. It bounds how fast one address can probe emails or mail strangers, on top
 * of the mailbox budget the sign-in shares with the setup.
 */
export const SOURCE_SIGN_INS: BudgetSpec = { limit: 20, windowMs: 10 * MINUTE };

/**
 * Codes looked up that do not exist, from one client: 10 in 10 minutes (R11). Each lookup takes
 * one before it reads and a lookup that finds its code gives it back, so parallel guesses read
 * at most 10 codes between them and a buyer who types a real key loses nothing. With 10^15
 * Registration Keys and 2^140 Activation Codes, enumeration is hopeless at that pace.
 */
export const CODE_LOOKUPS: BudgetSpec = { limit: 10, windowMs: 10 * MINUTE };
/**
 * Codes looked up that do not exist, from one signed caller of the license API whatever client
 * ids it names: 1,000 in 10 minutes (R11). The vendor's product is one caller for all its end
 * users and must name each end user as the client (their budget is CODE_LOOKUPS); this is the
 * backstop for a product that does not, or loops, sized so one end user's guesses (10) cannot
 * lock the others out. The caller can read its orders' keys anyway: it bounds wasted reads,
 * not secrecy.
 */
export const CALLER_CODE_LOOKUPS: BudgetSpec = { limit: 1000, windowMs: 10 * MINUTE };

/** The budgets a deployment may tune; each defaults to the constant above. */
export interface SetupLimits {
  readonly mailboxCodes?: BudgetSpec;
  readonly contractCodes?: BudgetSpec;
  readonly sourceRegistrations?: BudgetSpec;
  readonly sourceSignIns?: BudgetSpec;
  readonly codeLookups?: BudgetSpec;
  readonly callerCodeLookups?: BudgetSpec;
}

/**
 * The mailbox an address delivers to, for counting: case and a `+tag` of the local part do not
 * make another mailbox (`Ann+1@Example.com` and `ann@example.com` share one budget), nor do
 * dots or `googlemail.com` for Gmail.
 */
export function mailboxOf(email: string): string {
  const normalized = email.trim().toLowerCase();
  const at = normalized.lastIndexOf('@');
  if (at < 0) return normalized;
  let local = normalized.slice(0, at);
  let domain = normalized.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  // Gmail ignores dots in the local part and answers to both of its domains.
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replaceAll('.', '');
  return `${local}@${domain}`;
}

/**
 * The source a request is counted under: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber gets a whole /64 and can pick any address in it), anything else as given.
 */
export function sourceOf(address: string | undefined): string {
  const value = (address ?? '').trim().toLowerCase();
  if (!value.includes(':')) return value || 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (mapped?.[1]) return mapped[1];
  const [head = '', tail = ''] = value.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = value.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '') || '0');
  return `${prefix.join(':')}::/64`;
}

/** The window a budget counts in at `now`, as its start instant (ms). */
export function windowStart(budget: Pick<Budget, 'windowMs'>, now: Date): number {
  return Math.floor(now.getTime() / budget.windowMs) * budget.windowMs;
}

/** A store refused to take from a budget that is spent for this window. */
export class BudgetSpentError extends Error {
  override readonly name = 'BudgetSpentError';
  constructor(readonly budget: Budget) {
    super(`Budget ${budget.key.split(':')[0]} is spent for this window`);
  }
}

/** Takes from budgets kept outside any session. */
export interface BudgetCounter {
  /** Takes one from the budget at `now`: false, and nothing taken, when it is spent. */
  take(budget: Budget, now: Date): Promise<boolean>;
  /** Gives one back in the window of `now` (a lookup that found its code is no wrong guess); best effort. */
  giveBack(budget: Budget, now: Date): Promise<void>;
}
