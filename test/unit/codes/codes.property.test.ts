import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Code,
  type CodeKind,
  drawCode,
  luhnModNCheckSymbol,
  parseCode,
} from '../../../lib/domain/codes/codes.js';
import { seededRandom } from '../../support/random.js';

/**
 * Properties of R11: every drawn code reads back to itself however it is typed, and the check
 * character catches what people get wrong when they copy a code by hand: every single
 * substitution of a body character, and every swap of two neighbours (for Activation Codes,
 * every swap but one pair the Luhn mod N theory predicts, checked exhaustively below).
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const kind = fc.constantFrom<CodeKind>('registration-key', 'activation-code');
const prefix = fc
  .tuple(fc.constantFrom(...LETTERS), fc.constantFrom(...LETTERS))
  .map(([first, second]) => first + second);
/** A drawn code of one of `kinds`: its prefix and random source chosen by fast-check, so failures shrink. */
function drawnOf(kinds: fc.Arbitrary<CodeKind>) {
  return fc
    .record({ kind: kinds, prefix, seed: fc.string({ maxLength: 16 }) })
    .map(({ kind, prefix, seed }) => ({ kind, prefix, code: drawCode(kind, seededRandom(seed), prefix) }));
}
const drawn = drawnOf(kind);

/** How one character is typed: either case, for Activation Codes a Crockford lookalike, then a separator. */
interface Typing {
  readonly lower: boolean;
  /** 0: as drawn; 1: O for 0, I for 1; 2 or 3: O for 0, L for 1. */
  readonly lookalike: number;
  readonly separator: string;
}
interface Rendering {
  readonly characters: readonly Typing[];
  readonly before: string;
  readonly after: string;
}

const typing: fc.Arbitrary<Typing> = fc.record({
  lower: fc.boolean(),
  lookalike: fc.nat({ max: 3 }),
  separator: fc.constantFrom('', '', '-', ' ', '\t', ' - ', '--', '\t-'),
});
const rendering: fc.Arbitrary<Rendering> = fc.record({
  characters: fc.array(typing, { minLength: 31, maxLength: 31 }),
  before: fc.constantFrom('', ' ', '\n', '\t ', ' \r\n'),
  after: fc.constantFrom('', ' ', '\n', ' \t', '\r\n '),
});

/** The code as a person might type it: case, separators, surrounding whitespace, O for 0, I/L for 1. */
function render(code: Code, kindOf: CodeKind, how: Rendering): string {
  const characters = code.replaceAll('-', '');
  let typed = how.before;
  for (const [i, character] of [...characters].entries()) {
    const choice = how.characters[i] ?? { lower: false, lookalike: 0, separator: '' };
    let shown = character;
    if (kindOf === 'activation-code' && i >= 2 && choice.lookalike > 0) {
      if (character === '0') shown = 'O';
      if (character === '1') shown = choice.lookalike === 1 ? 'I' : 'L';
    }
    typed +=
      (choice.lower ? shown.toLowerCase() : shown) + (i < characters.length - 1 ? choice.separator : '');
  }
  return typed + how.after;
}

/** The body of a code without dashes, and the code rebuilt from a body (parse accepts no dashes). */
function bodyOf(code: Code): string {
  return code.slice(3).replaceAll('-', '');
}

describe('codes: properties (R11)', () => {
  it('reads every drawn code back to itself from any case and separator rendering', () => {
    fc.assert(
      fc.property(drawn, rendering, ({ kind, prefix, code }, how) => {
        const typed = render(code, kind, how);
        const parsed = parseCode(typed, prefix);
        // Generous separators can push a rendering past 80 characters, which is refused unread.
        if (typed.length > 80) expect(parsed).toEqual({ ok: false, reason: 'too-long' });
        else expect(parsed).toEqual({ ok: true, kind, code });
      }),
      { numRuns: 1000 },
    );
  });

  it('detects every single-character substitution in the body of a drawn code', () => {
    fc.assert(
      fc.property(drawn, ({ kind, prefix, code }) => {
        const body = bodyOf(code);
        const symbols = kind === 'registration-key' ? DIGITS : ALPHABET;
        // Outside the alphabet: letters in a key; U (never a Crockford symbol) and punctuation in a code.
        const invalid = kind === 'registration-key' ? 'AOIZ*_' : 'U*_.';
        // Collected and asserted once: an expect per substitution would cost more than the parses.
        const undetected: string[] = [];
        for (let i = 0; i < body.length; i++) {
          const original = body.charAt(i);
          const expectRefused = (character: string, reason: 'checksum' | 'format') => {
            const typed = `${prefix}${body.slice(0, i)}${character}${body.slice(i + 1)}`;
            const parsed = parseCode(typed, prefix);
            if (parsed.ok || parsed.reason !== reason) undetected.push(`${typed}: ${JSON.stringify(parsed)}`);
          };
          for (const other of symbols) {
            if (other === original) continue;
            expectRefused(other, 'checksum');
            expectRefused(other.toLowerCase(), 'checksum');
          }
          if (kind === 'activation-code') {
            // A lookalike that reads as another symbol is a substitution like any other.
            if (original !== '0') expectRefused('O', 'checksum');
            if (original !== '1') expectRefused('l', 'checksum');
          }
          for (const other of invalid) expectRefused(other, 'format');
        }
        expect(undetected).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('detects every adjacent transposition of two different digits in a Registration Key (Damm)', () => {
    fc.assert(
      fc.property(drawnOf(fc.constant('registration-key')), ({ prefix, code }) => {
        const body = bodyOf(code);
        for (let i = 0; i + 1 < body.length; i++) {
          const [left, right] = [body.charAt(i), body.charAt(i + 1)];
          if (left === right) continue;
          const swapped = `${prefix}${body.slice(0, i)}${right}${left}${body.slice(i + 2)}`;
          expect(parseCode(swapped, prefix)).toEqual({ ok: false, reason: 'checksum' });
        }
      }),
      { numRuns: 1000 },
    );
  });

  /**
   * Luhn mod N with N = 32 doubles every other value v to d(v) = 2v below 16 and 2v − 31 from 16
   * up. Swapping neighbours a, b moves the sum by d(a) + b − (d(b) + a) = g(a) − g(b), with
   * g(v) = v below 16 and v + 1 from 16 up, mod 32: g is one-to-one except g(0) = g(31) = 0.
   * So a swap goes unnoticed exactly when the two symbols are 0 and Z, as 09 ↔ 90 in decimal Luhn.
   */
  function luhnMissesSwap(left: string, right: string): boolean {
    return (left === '0' && right === 'Z') || (left === 'Z' && right === '0');
  }

  it('detects every adjacent transposition in an Activation Code but 0 ↔ Z (Luhn mod N)', () => {
    fc.assert(
      fc.property(drawnOf(fc.constant('activation-code')), ({ prefix, code }) => {
        const body = bodyOf(code);
        for (let i = 0; i + 1 < body.length; i++) {
          const [left, right] = [body.charAt(i), body.charAt(i + 1)];
          if (left === right) continue;
          const swapped = `${prefix}${body.slice(0, i)}${right}${left}${body.slice(i + 2)}`;
          const parsed = parseCode(swapped, prefix);
          if (luhnMissesSwap(left, right)) expect(parsed).toMatchObject({ ok: true });
          else expect(parsed).toEqual({ ok: false, reason: 'checksum' });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('misses exactly the 0 ↔ Z swap among all 992 ordered pairs of symbols, at either parity', () => {
    const missed = new Set<string>();
    for (const left of ALPHABET) {
      for (const right of ALPHABET) {
        if (left === right) continue;
        // The pair last in the payload (the right one doubled) and one earlier (the left one doubled).
        for (const zerosBefore of [26, 25]) {
          const payload = `${'0'.repeat(zerosBefore)}${left}${right}${'0'.repeat(26 - zerosBefore)}`;
          const body = payload + luhnModNCheckSymbol(payload);
          const swapped = `${body.slice(0, zerosBefore)}${right}${left}${body.slice(zerosBefore + 2)}`;
          if (parseCode(`PC${swapped}`).ok) missed.add(`${left}${right}@${zerosBefore}`);
        }
      }
    }
    expect([...missed].sort()).toEqual(['0Z@25', '0Z@26', 'Z0@25', 'Z0@26']);
  });
});
