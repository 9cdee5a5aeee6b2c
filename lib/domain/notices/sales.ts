/**
 * Mail for the seller's sales team: each activation (R3) and cancellation (R1) as it happens,
 * and a daily digest of setups stuck past the four-hour window (R4) and of over-allocated
 * businesses (R9). Dates are ISO dates in UTC: the team is not in any one business's zone.
 *
 * `EmailMessage` has one `to`, and the port is shared with the buyer's mail, so each builder
 * returns one message per recipient (addresses trimmed, duplicates dropped): no recipient sees
 * the others' addresses, and one bouncing address does not stop the rest.
 */
import type { EmailMessage } from '../setup/ports.js';

interface ContractFacts {
  /** The sales team's addresses. */
  readonly to: readonly string[];
  readonly productName: string;
  readonly contractId: string;
  /** The contract's credits (all its active items). */
  readonly credits: number;
  readonly expiresAt: string;
  readonly primaryEmail?: string;
}

export interface ActivationFacts extends ContractFacts {
  readonly businessId: string;
  readonly businessName: string;
  readonly activatedAt: string;
}

export interface CancellationFacts extends ContractFacts {
  /** Absent when the contract was cancelled before any business activated it. */
  readonly businessId?: string;
  readonly businessName?: string;
  readonly endedAt: string;
  /** Credits that stopped counting towards the business's total (R2). */
  readonly creditsWithdrawn: number;
}

export interface StuckSetup {
  readonly contractId: string;
  readonly productCode: string;
  readonly createdAt: string;
  readonly ageHours: number;
  readonly customerAWSAccountId?: string;
}

export interface OverAllocatedBusiness {
  readonly businessId: string;
  readonly businessName?: string;
  readonly since: string;
  /** Credits allocated beyond the business's total. */
  readonly overBy: number;
}

export interface SalesDigest {
  readonly to: readonly string[];
  readonly productName: string;
  /** The day the digest is for, `YYYY-MM-DD` (UTC). */
  readonly date: string;
  readonly stuckSetups: readonly StuckSetup[];
  readonly overAllocated: readonly OverAllocatedBusiness[];
  /** The caller cut the lists at a limit: there are more than shown. */
  readonly truncated?: boolean;
}

/** The mail to sales when a business activates a marketplace contract (R3). */
export function activationNoticeMail(facts: ActivationFacts): EmailMessage[] {
  const business = `${oneLine(facts.businessName)} (${facts.businessId})`;
  return addressed(facts.to, {
    subject: `${oneLine(facts.productName)}: ${business} activated contract ${facts.contractId}`,
    text: [
      `${business} activated a ${oneLine(facts.productName)} contract.`,
      '',
      ...rows([
        ['Business', business],
        ['Primary user', facts.primaryEmail ? oneLine(facts.primaryEmail) : 'unknown'],
        ['Contract', facts.contractId],
        ['Credits', formatCredits(facts.credits)],
        ['Expires', utc(facts.expiresAt)],
        ['Activated', utc(facts.activatedAt)],
      ]),
    ].join('\n'),
  });
}

/** The mail to sales when a contract is cancelled before its expiry (R1). */
export function cancellationNoticeMail(facts: CancellationFacts): EmailMessage[] {
  const business = facts.businessId
    ? `${facts.businessName ? `${oneLine(facts.businessName)} ` : ''}(${facts.businessId})`
    : undefined;
  return addressed(facts.to, {
    subject: `${oneLine(facts.productName)}: contract ${facts.contractId} cancelled${business ? ` by ${business}` : ''}`,
    text: [
      `${oneLine(facts.productName)} contract ${facts.contractId} was cancelled${business ? '' : ' before any business activated it'}.`,
      '',
      ...rows([
        ['Business', business ?? 'not activated'],
        ['Primary user', facts.primaryEmail ? oneLine(facts.primaryEmail) : 'unknown'],
        ['Contract', facts.contractId],
        ['Credits', formatCredits(facts.credits)],
        ['Withdrawn', `${formatCredits(facts.creditsWithdrawn)} credits no longer count towards the total`],
        ['Was to expire', utc(facts.expiresAt)],
        ['Ended', utc(facts.endedAt)],
      ]),
    ].join('\n'),
  });
}

/**
 * The daily digest for sales: setups past the four-hour window without activation (R4), the
 * oldest first, and over-allocated businesses (R9), the furthest over first. Undefined when both
 * lists are empty: no mail on a quiet day, so that a digest always means something to look at.
 */
export function salesDigestMail(digest: SalesDigest): EmailMessage[] | undefined {
  const { stuckSetups, overAllocated } = digest;
  if (stuckSetups.length === 0 && overAllocated.length === 0) return undefined;
  const counts = [
    `${plural(stuckSetups.length, 'setup', 'setups')} stuck`,
    `${plural(overAllocated.length, 'business', 'businesses')} over-allocated`,
  ].join(', ');

  const text: string[] = [`${oneLine(digest.productName)} sales digest for ${digest.date}: ${counts}.`];
  if (digest.truncated) text.push('The lists are cut short: there are more than shown here.');
  text.push('', `Setups not activated within the four-hour window (${stuckSetups.length})`);
  if (stuckSetups.length === 0) text.push('  none');
  else {
    const sorted = [...stuckSetups].sort((a, b) => b.ageHours - a.ageHours);
    text.push(
      ...table(
        ['Contract', 'Product', 'Started', 'Age', 'AWS account'],
        sorted.map((s) => [
          s.contractId,
          s.productCode,
          utc(s.createdAt),
          `${s.ageHours.toFixed(1)} h`,
          s.customerAWSAccountId ?? '-',
        ]),
      ),
    );
  }
  text.push('', `Over-allocated businesses (${overAllocated.length})`);
  if (overAllocated.length === 0) text.push('  none');
  else {
    const sorted = [...overAllocated].sort((a, b) => b.overBy - a.overBy);
    text.push(
      ...table(
        ['Business', 'Name', 'Since', 'Over by'],
        sorted.map((b) => [
          b.businessId,
          b.businessName ? oneLine(b.businessName, 40) : '-',
          utc(b.since),
          `${formatCredits(b.overBy)} credits`,
        ]),
      ),
    );
  }
  return addressed(digest.to, {
    subject: `${oneLine(digest.productName)} sales digest ${digest.date}: ${counts}${digest.truncated ? ' (more not shown)' : ''}`,
    text: text.join('\n'),
  });
}

function addressed(to: readonly string[], message: Omit<EmailMessage, 'to'>): EmailMessage[] {
  const seen = new Set<string>();
  const out: EmailMessage[] = [];
  for (const raw of to) {
    const address = raw.trim();
    const key = address.toLowerCase();
    if (!address || seen.has(key)) continue;
    seen.add(key);
    out.push({ to: address, ...message });
  }
  return out;
}

/** `2027-01-15 00:30 UTC`; an unreadable date is shown as given. */
function utc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return oneLine(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
}

/**
 * Text on one line: names typed by buyers go into subjects and table cells, where a line break
 * or control character would break the layout (or fake a line of the mail).
 */
function oneLine(value: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

let numberFormat: Intl.NumberFormat | undefined;
function formatCredits(n: number): string {
  numberFormat ??= new Intl.NumberFormat('en-US');
  return numberFormat.format(n);
}

function rows(pairs: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`);
}

function table(header: readonly string[], body: readonly (readonly string[])[]): string[] {
  const cells = [header, ...body].map((row) => row.map((cell) => oneLine(cell)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(cells[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)];
}
