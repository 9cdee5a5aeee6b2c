import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { businessFormSchema, fieldErrors } from '../../../functions/setup/schema.js';
import {
  HIDDEN_CHARACTERS_MESSAGE,
  hasHiddenCharacters,
  saveBusinessDetails,
} from '../../../lib/domain/setup/business-details.js';
import { InvalidBusinessDetailsError } from '../../../lib/domain/setup/errors.js';
import type { SetupSession } from '../../../lib/domain/setup/model.js';
import type { Secrets, SetupStore } from '../../../lib/domain/setup/ports.js';

const hex = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

describe('hasHiddenCharacters', () => {
  it.each([
    ['RIGHT-TO-LEFT OVERRIDE', 'Example \u202Eproc'],
    ['LEFT-TO-RIGHT OVERRIDE', 'Example \u202Dproc'],
    ['LEFT-TO-RIGHT EMBEDDING', '\u202AExample'],
    ['POP DIRECTIONAL FORMATTING', 'Example\u202C'],
    ['RIGHT-TO-LEFT ISOLATE', 'Exa\u2067mple'],
    ['FIRST STRONG ISOLATE', 'Exa\u2068mple'],
    ['RIGHT-TO-LEFT MARK', 'Example\u200F Corp'],
    ['ARABIC LETTER MARK', 'شركة\u061C'],
    ['ZERO WIDTH SPACE', 'Exam\u200Bple'],
    ['WORD JOINER', 'Exam\u2060ple'],
    ['ZERO WIDTH NO-BREAK SPACE (BOM)', 'Germ\uFEFFany'],
    ['SOFT HYPHEN', 'Exam\u00ADple'],
    ['LINE SEPARATOR', 'Example\u2028Corp'],
    ['PARAGRAPH SEPARATOR', 'Example\u2029Corp'],
    ['MONGOLIAN VOWEL SEPARATOR', 'Exam\u180Eple'],
    ['COMBINING GRAPHEME JOINER', 'Exam\u034Fple'],
    ['HANGUL FILLER', 'Example\u3164Corp'],
    ['HALFWIDTH HANGUL FILLER', 'Example\uFFA0'],
    ['a Unicode tag (hidden ASCII)', 'Example\u{E0041}\u{E0042}'],
    ['a private-use character', 'Example\uE000'],
    ['a supplementary private-use character', 'Example\u{F0000}'],
    ['a lone surrogate', 'Example\uD800'],
    ['ZWJ between Latin letters', 'Exam\u200Dple'],
    ['ZWNJ between Latin letters', 'Exam\u200Cple'],
    ['ZWNJ between Cyrillic letters', 'Ром\u200Cашка'],
    ['ZWJ at the end', 'क\u200D'],
    ['ZWNJ next to a space', 'می \u200Cخواهم'],
    ['ZWJ after an emoji but before a letter', '👩\u200Da'],
    ['a variation selector after a space', 'Example \uFE0F'],
    ['a variation selector at the start', '\uFE0FExample'],
    ['two variation selectors in a row (a hidden payload)', '❤\uFE0F\uFE0E'],
    ['a run of ideographic variation selectors', '葛\u{E0100}\u{E0101}'],
    ['an ideographic variation selector after a Latin letter', 'a\u{E0100}'],
  ])('refuses %s', (_, text) => {
    expect(hasHiddenCharacters(text)).toBe(true);
  });

  it('refuses every format, separator and private-use character between two letters', () => {
    const refused = /[\p{Cf}\p{Zl}\p{Zp}\p{Co}]/u;
    const passed: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (refused.test(c) && !hasHiddenCharacters(`a${c}b`)) passed.push(hex(c));
    }
    expect(passed).toEqual([]);
  });

  it('refuses a bidi override or a zero width space inserted anywhere in any text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.nat(),
        fc.constantFrom('\u202E', '\u202D', '\u2066', '\u200B', '\u2028', '\uFEFF'),
        (text, at, hidden) => {
          const chars = Array.from(text);
          const i = at % (chars.length + 1);
          expect(hasHiddenCharacters([...chars.slice(0, i), hidden, ...chars.slice(i)].join(''))).toBe(true);
        },
      ),
    );
  });

  it.each([
    ['German', 'Müller & Söhne GmbH'],
    ['French, composed', 'Société Générale'],
    ['French, decomposed (combining acute)', 'Socie\u0301te\u0301 Ge\u0301ne\u0301rale'],
    ['Vietnamese with stacked marks', 'Công ty TNHH Việt Nam'],
    ['Greek', 'Ελληνική Εταιρεία Α.Ε.'],
    ['Russian', 'ООО «Ромашка»'],
    ['Japanese', '株式会社サンプル'],
    ['Korean', '삼성전자 주식회사'],
    ['Hebrew', 'דוגמה בע״מ'],
    ['Arabic', 'شركة المثال للتجارة'],
    ['Persian with ZWNJ', 'نوآوران\u200Cپارس'],
    ['Hindi half form with ZWJ', 'क्\u200Dष'],
    ['Sinhala with ZWJ', 'ශ්\u200Dරී ලංකාව'],
    ['Malayalam with ZWNJ', 'മല\u200Cയാളം'],
    ['an emoji ZWJ sequence with a skin tone', '👩🏽\u200D💻 Studio'],
    ['an emoji ZWJ sequence with VS16', '🏳\uFE0F\u200D🌈 Pride'],
    ['an emoji with VS16', '❤\uFE0F Hearts'],
    ['a keycap', '1\uFE0F\u20E3 One'],
    ['a flag', '🇩🇪 Deutschland'],
    ['an ideographic variation sequence', '葛\u{E0100}飾区'],
    ['Mongolian with a free variation selector', 'ᠮᠣᠩᠭ\u180Bᠣᠯ'],
    ['punctuation', 'O’Brien (Pty) Ltd. — “Quoted” #1, 50% @ home; a/b'],
    ['a no-break and an ideographic space', 'A\u00A0B\u3000C'],
    ['ASCII', 'Example Corp'],
  ])('accepts %s', (_, text) => {
    expect(hasHiddenCharacters(text)).toBe(false);
  });
});

const FORM = {
  csrf: 'c'.repeat(32),
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};

describe('businessFormSchema', () => {
  it.each([
    ['name', 'Example \u202Eproc'],
    ['country', 'Ger\u200Bmany'],
    ['dataCenterRegion', 'e\u2028u'],
    ['timeZone', 'Europe/\u2066Berlin'],
  ])('puts the hidden-character message on %s when it holds one', (field, value) => {
    const parsed = businessFormSchema.safeParse({ ...FORM, [field]: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error && fieldErrors(parsed.error)).toEqual({ [field]: HIDDEN_CHARACTERS_MESSAGE });
  });

  it('keeps the control-character message first when a field holds both', () => {
    const parsed = businessFormSchema.safeParse({ ...FORM, name: 'A\u0000\u202EB' });
    expect(parsed.error && fieldErrors(parsed.error)).toEqual({
      name: 'Use letters, digits and punctuation only.',
    });
  });

  it('accepts legitimate text of other scripts and emoji', () => {
    const parsed = businessFormSchema.safeParse({
      ...FORM,
      name: 'نوآوران\u200Cپارس 👩🏽\u200D💻',
      country: 'Co\u0302te d’Ivoire',
    });
    expect(parsed.success).toBe(true);
  });

  it('trims a byte order mark or a line separator at either end rather than refusing it', () => {
    const parsed = businessFormSchema.safeParse({ ...FORM, name: '\uFEFFExample Corp\u2028' });
    expect(parsed.data?.name).toBe('Example Corp');
  });
});

describe('saveBusinessDetails', () => {
  const session: SetupSession = {
    sessionKey: 'k'.repeat(43),
    contractId: 'c-1',
    productCode: 'p',
    freeTrialOffer: false,
    createdAt: '2026-05-01T10:00:00.000Z',
    expiresAt: '2026-05-01T14:00:00.000Z',
    step: 'business',
    csrfToken: 'c'.repeat(32),
    email: 'buyer@example.com',
    version: 3,
  };
  /** Ports that must not be reached: the details are refused before any write. */
  const unreachable = new Proxy({} as SetupStore & Secrets, {
    get: (_, name) => () => {
      throw new Error(`${String(name)} called`);
    },
  });

  it('refuses a hidden character in the name or country, whoever calls it', async () => {
    const saving = saveBusinessDetails(
      session,
      { name: 'Exam\u200Bple', country: 'Germ\u202Eany', dataCenterRegion: 'eu', timeZone: 'UTC' },
      {
        setups: unreachable,
        secrets: unreachable,
        clock: { now: () => new Date(session.createdAt) },
        dataCenterRegions: [{ id: 'eu', label: 'Europe' }],
        isTimeZone: (zone) => zone === 'UTC',
      },
    );
    await expect(saving).rejects.toBeInstanceOf(InvalidBusinessDetailsError);
    await expect(saving).rejects.toMatchObject({
      fields: { name: HIDDEN_CHARACTERS_MESSAGE, country: HIDDEN_CHARACTERS_MESSAGE },
    });
  });
});
