import type { Clock } from '../contract/ports.js';
import { InvalidBusinessDetailsError } from './errors.js';
import type { Business, BusinessDetails, SetupSession } from './model.js';
import type { Secrets, SetupStore } from './ports.js';

export interface BusinessDetailsDeps {
  readonly setups: SetupStore;
  readonly secrets: Secrets;
  readonly clock: Clock;
  /** The data-centre regions this vendor runs (configured). */
  readonly dataCenterRegions: readonly { readonly id: string; readonly label: string }[];
  /** Whether a time zone name is known (IANA). */
  readonly isTimeZone: (zone: string) => boolean;
}

/**
 * Creates the business of a newly verified primary user (R8) and moves the setup to review.
 *
 * Steps:
 * 1. The data-centre region must be one of the configured ones and the time zone a known
 *    IANA zone; name and country hold no invisible or text-direction characters
 *    (`hasHiddenCharacters`); otherwise each wrong field gets its message.
 * 2. One transaction creates the business, links it to the user (only if the user has none)
 *    and advances the session. If the user got a business meanwhile (a second tab), that
 *    business is used instead.
 */
export async function saveBusinessDetails(
  session: SetupSession,
  details: BusinessDetails,
  deps: BusinessDetailsDeps,
): Promise<SetupSession> {
  const errors: Record<string, string> = {};
  if (!deps.dataCenterRegions.some((r) => r.id === details.dataCenterRegion)) {
    errors.dataCenterRegion = 'Choose one of the listed data-centre regions.';
  }
  if (!deps.isTimeZone(details.timeZone)) errors.timeZone = 'Choose a time zone from the list.';
  for (const field of ['name', 'country'] as const) {
    if (hasHiddenCharacters(details[field])) errors[field] = HIDDEN_CHARACTERS_MESSAGE;
  }
  if (Object.keys(errors).length > 0) throw new InvalidBusinessDetailsError(errors);
  if (!session.email) throw new InvalidBusinessDetailsError({ email: 'Verify your email first.' });

  const business: Business = {
    businessId: `biz-${deps.secrets.token().slice(0, 20)}`,
    ...details,
    primaryEmail: session.email,
    createdAt: deps.clock.now().toISOString(),
  };
  const next: SetupSession = {
    ...session,
    step: 'review',
    businessId: business.businessId,
    businessName: business.name,
    version: session.version + 1,
  };
  if (await deps.setups.createBusiness(business, next, session.version)) return next;

  const user = await deps.setups.getUser(session.email);
  const existing = user?.businessId ? await deps.setups.getBusiness(user.businessId) : undefined;
  if (!existing) throw new Error('The user has a business that cannot be read');
  const linked: SetupSession = { ...next, businessId: existing.businessId, businessName: existing.name };
  await deps.setups.saveSession(linked, session.version);
  return linked;
}

export const HIDDEN_CHARACTERS_MESSAGE =
  'This contains invisible or text-direction characters, often from pasted text. Type it in again.';

/**
 * Characters a person cannot see: format controls (bidi overrides and isolates, LRM/RLM, zero
 * width space, BOM, soft hyphen, Unicode tags), line and paragraph separators, private use,
 * lone surrogates and the rest of Default_Ignorable_Code_Point (Hangul fillers, variation
 * selectors, the combining grapheme joiner …). C0/C1 controls are refused by the form already.
 */
const HIDDEN = /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;
/** A letter or mark of a script whose spelling needs ZWJ/ZWNJ (Arabic, Persian, Indic, Sinhala …). */
const JOINING = /^[\p{L}\p{M}]$/u;
const NO_JOINERS =
  /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Armenian}\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const EMOJI_BEFORE_ZWJ = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)$/u;
const EMOJI = /^\p{Extended_Pictographic}$/u;
const VISIBLE_BASE = /^[\p{L}\p{N}\p{S}\p{P}]$/u;

const ZWNJ = '\u200C';
const ZWJ = '\u200D';

/** Where a hidden character is still part of legitimate text: only right after what it modifies. */
function allowedHere(c: string, before: string, after: string): boolean {
  const joins = (x: string) => JOINING.test(x) && !NO_JOINERS.test(x);
  if (c === ZWNJ || c === ZWJ) {
    // Persian `می‌خواهم`, Devanagari half forms, Sinhala `ශ්‍රී`: between two letters of such a script.
    if (joins(before) && joins(after)) return true;
    // Emoji ZWJ sequences: 👩🏽‍💻, 🏳️‍🌈.
    return c === ZWJ && EMOJI_BEFORE_ZWJ.test(before) && EMOJI.test(after);
  }
  const cp = c.codePointAt(0) ?? 0;
  // VS1–VS16 (❤️, #️⃣, standardized variants), once, right after a visible character: a run of
  // selectors would be a hidden payload.
  if (cp >= 0xfe00 && cp <= 0xfe0f) return VISIBLE_BASE.test(before);
  // Ideographic variation selectors, once, after an ideograph.
  if (cp >= 0xe0100 && cp <= 0xe01ef) return /^\p{Ideographic}$/u.test(before);
  // Mongolian free variation selectors, after a Mongolian letter.
  if ((cp >= 0x180b && cp <= 0x180d) || cp === 0x180f) return /^\p{Script=Mongolian}$/u.test(before);
  return false;
}

/**
 * Whether one-line text (a business name, a country) holds a character that displays as nothing
 * or reorders what follows (U+202E, U+200B, U+2028, U+FEFF …): such text shows reversed or
 * spoofed in sales CSV, HTML and mails. Letters of every script, combining marks, emoji and
 * ordinary punctuation and spaces pass; ZWJ/ZWNJ and variation selectors pass only where a
 * script or an emoji sequence uses them (`allowedHere`).
 */
export function hasHiddenCharacters(text: string): boolean {
  if (!HIDDEN.test(text)) return false;
  const chars = Array.from(text);
  return chars.some((c, i) => HIDDEN.test(c) && !allowedHere(c, chars[i - 1] ?? '', chars[i + 1] ?? ''));
}
