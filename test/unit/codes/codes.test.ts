import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cryptoRandomBytes } from '../../../lib/adapters/crypto/code-random.js';
import {
  type Code,
  CodeSpaceExhaustedError,
  codeKindOf,
  dammCheckDigit,
  drawCode,
  drawUnique,
  luhnModNCheckSymbol,
  maskCode,
  parseCode,
  type RandomBytes,
} from '../../../lib/domain/codes/codes.js';
import { seededRandom } from '../../support/random.js';

const REGISTRATION_KEY = /^PC-\d{4}-\d{4}-\d{4}-\d{4}$/;
const ACTIVATION_CODE = /^PC-[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{5}){5}$/;

/**
 * A deterministic but strong source for the million-draw tests: AES-256-CTR keyed by a hash of
 * the seed (the construction of NIST's CTR_DRBG, minus reseeding), served from 64 KiB blocks so
 * the source costs next to nothing next to the code under test.
 */
function counterModeRandom(seed: string): RandomBytes {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 16);
  let block = cipher.update(zeros);
  let at = 0;
  return (count) => {
    if (at + count > block.length) {
      block = cipher.update(zeros);
      at = 0;
    }
    at += count;
    return block.subarray(at - count, at);
  };
}

/** A source that serves `bytes` and then fails the test: for draws whose bytes are known. */
function scriptedRandom(...batches: number[][]): RandomBytes & { calls: number[] } {
  const calls: number[] = [];
  const source = (count: number) => {
    calls.push(count);
    const batch = batches.shift();
    if (!batch) throw new Error('scripted random source ran out');
    return Uint8Array.from({ length: count }, (_, i) => batch[i % batch.length] ?? 0);
  };
  return Object.assign(source, { calls });
}

/** A source that counts its calls, over a strong one. */
function countingRandom(inner: RandomBytes): RandomBytes & { calls: number } {
  const source = Object.assign(
    (count: number) => {
      source.calls++;
      return inner(count);
    },
    { calls: 0 },
  );
  return source;
}

function mustParse(input: string, prefix?: string): Code {
  const parsed = parseCode(input, prefix);
  if (!parsed.ok) throw new Error(`${JSON.stringify(input)} did not parse: ${parsed.reason}`);
  return parsed.code;
}

const random = seededRandom('codes unit test');
const key = drawCode('registration-key', random);
const activation = drawCode('activation-code', random);

describe('codes: drawing (R11)', () => {
  it('draws Registration Keys as PC and four groups of four digits, 22 characters', () => {
    for (let i = 0; i < 100; i++) {
      const code = drawCode('registration-key', random);
      expect(code).toMatch(REGISTRATION_KEY);
      expect(code).toHaveLength(22);
      expect(codeKindOf(code)).toBe('registration-key');
    }
  });

  it('draws Activation Codes as PC, four and five groups of five Crockford symbols, 37 characters', () => {
    for (let i = 0; i < 100; i++) {
      const code = drawCode('activation-code', random);
      expect(code).toMatch(ACTIVATION_CODE);
      expect(code).toHaveLength(37);
      expect(codeKindOf(code)).toBe('activation-code');
    }
  });

  it('draws under the prefix of the deployment when one is given', () => {
    expect(drawCode('registration-key', random, 'XY')).toMatch(/^XY-\d{4}-/);
    expect(drawCode('activation-code', random, 'QZ')).toMatch(/^QZ-[0-9A-Z]{4}-/);
  });

  it('refuses a prefix that is not two uppercase ASCII letters with a TypeError', () => {
    for (const prefix of ['pc', 'P', 'PCX', 'P1', '', 'ÀB', 'РС', 'P-']) {
      expect(() => drawCode('registration-key', random, prefix)).toThrow(TypeError);
      expect(() => parseCode(key, prefix)).toThrow(TypeError);
    }
  });

  it('discards bytes from 250 up so digits are uniform, and ends with the Damm check digit', () => {
    // Six bytes ≥ 250 are skipped; the next fifteen give 0…9 then 0…4 (byte % 10). The Damm
    // interim digit over 012345678901234, traced by hand through the table: 0 3 5 4 0 9 6 1 6 4
    // 6 8 3 0 5, so the check digit is 5.
    const source = scriptedRandom([250, 251, 252, 253, 254, 255, ...Array.from({ length: 26 }, (_, i) => i)]);
    expect(drawCode('registration-key', source)).toBe('PC-0123-4567-8901-2345');
    expect(source.calls).toEqual([32]);
  });

  it('maps byte 249 to 9 and 240 to 0 (no digit is favoured below 250)', () => {
    const source = scriptedRandom([249, 240, 0x7f]);
    expect(drawCode('registration-key', source).slice(3, 6)).toBe('907');
  });

  it('uses the low five bits of each byte for a symbol and ends with the Luhn mod 32 check symbol', () => {
    // Values 0…27 from the right: odd values are doubled (2v below 16, 2v − 31 from 16 up).
    // Even values sum to 182, odd ones below 16 to 128, odd ones from 17 to 78: 388 ≡ 4 (mod 32),
    // so the check value is 28, the symbol W.
    const source = scriptedRandom(Array.from({ length: 28 }, (_, i) => i + 0xe0));
    expect(drawCode('activation-code', source)).toBe('PC-0123-45678-9ABCD-EFGHJ-KMNPQ-RSTVW');
    expect(source.calls).toEqual([28]);
  });

  it('asks the random source once per code, and again only when rejection sampling runs out', () => {
    const counting = countingRandom(seededRandom('one call per code'));
    for (let i = 0; i < 1000; i++) drawCode('registration-key', counting);
    for (let i = 0; i < 1000; i++) drawCode('activation-code', counting);
    // A second request for a key needs 18 of 32 bytes ≥ 250: about 1e-21 per draw.
    expect(counting.calls).toBe(2000);

    const refill = scriptedRandom(
      [...Array<number>(20).fill(255), ...Array<number>(12).fill(1)],
      Array<number>(32).fill(2),
    );
    expect(drawCode('registration-key', refill)).toMatch(/^PC-1111-1111-1111-222\d$/);
    expect(refill.calls).toEqual([32, 32]);
  });

  it('fails instead of looping when the random source gives only bytes it must discard', () => {
    expect(() => drawCode('registration-key', () => new Uint8Array(32).fill(0xff))).toThrow(/no usable byte/);
  });

  it('fails when the random source returns fewer bytes than asked', () => {
    expect(() => drawCode('activation-code', () => new Uint8Array(10))).toThrow(TypeError);
    expect(() => drawCode('registration-key', () => new Uint8Array(0))).toThrow(TypeError);
  });
});

describe('codes: check characters (R11)', () => {
  it('computes the Damm check digit of known vectors', () => {
    // The textbook vector: 572 → 4.
    expect(dammCheckDigit('572')).toBe('4');
    // By hand: 0 →(1) 3 →(2) 5 →(3) 4 →(4) 0.
    expect(dammCheckDigit('1234')).toBe('0');
    expect(dammCheckDigit('1')).toBe('3');
    expect(dammCheckDigit('')).toBe('0');
    expect(() => dammCheckDigit('12a')).toThrow(TypeError);
  });

  it('accepts a key whose last digit is its Damm check digit, and only that one', () => {
    // Leading zeros keep the interim at 0, so the body 000000000000572 checks to 4.
    expect(mustParse('PC-0000-0000-0000-5724')).toBe('PC-0000-0000-0000-5724');
    for (const wrong of '012356789') {
      expect(parseCode(`PC-0000-0000-0000-572${wrong}`)).toEqual({ ok: false, reason: 'checksum' });
    }
  });

  it('computes the Luhn mod 32 check symbol of known vectors', () => {
    // 1 doubled is 2; 32 − 2 = 30, the symbol Y.
    expect(luhnModNCheckSymbol('1')).toBe('Y');
    // Z (31) doubled is 62 = 1·32 + 30, counted 1 + 30 = 31; 32 − 31 = 1.
    expect(luhnModNCheckSymbol('Z')).toBe('1');
    // B (11) doubled is 22, plus A (10): 32 ≡ 0, so the check is 0.
    expect(luhnModNCheckSymbol('AB')).toBe('0');
    expect(() => luhnModNCheckSymbol('AU')).toThrow(TypeError);
  });

  it('accepts an Activation Code whose last symbol is its Luhn mod 32 check symbol', () => {
    expect(mustParse('PC-0000-00000-00000-00000-00000-0001Y')).toBe('PC-0000-00000-00000-00000-00000-0001Y');
    expect(mustParse('PC-0000-00000-00000-00000-00000-000Z1')).toBe('PC-0000-00000-00000-00000-00000-000Z1');
    expect(parseCode('PC-0000-00000-00000-00000-00000-0001Z')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('misses a swap of 0 and Z next to each other, the one blind spot of Luhn mod 32', () => {
    // 0 and Z (31) count the same whether doubled or not (0 and 31 ≡ 62 → 1 + 30), the way 0
    // and 9 do in the decimal Luhn: 0Z and Z0 have the same check symbol.
    expect(luhnModNCheckSymbol('0Z')).toBe(luhnModNCheckSymbol('Z0'));
    expect(mustParse('PC-0000-00000-00000-00000-00000-00Z01')).toBe('PC-0000-00000-00000-00000-00000-00Z01');
    expect(mustParse('PC-0000-00000-00000-00000-00000-000Z1')).toBe('PC-0000-00000-00000-00000-00000-000Z1');
  });
});

describe('codes: reading what a person typed (R11)', () => {
  it('reads a code back in lower case, without dashes, with spaces or with any mix of separators', () => {
    const keyBody = key.replaceAll('-', '');
    for (const typed of [
      key.toLowerCase(),
      keyBody,
      keyBody.toLowerCase(),
      key.replaceAll('-', ' '),
      key.replaceAll('-', '\t'),
      `${keyBody.slice(0, 2)} - ${keyBody.slice(2, 9)}\t${keyBody.slice(9, 12)}--${keyBody.slice(12)}`,
      keyBody.split('').join(' '),
      `  ${key}\n`,
      `\r\n\t${key.toLowerCase()} \u00a0`,
    ]) {
      expect(parseCode(typed)).toEqual({ ok: true, kind: 'registration-key', code: key });
    }
    for (const typed of [
      activation.toLowerCase(),
      activation.replaceAll('-', ''),
      activation.replaceAll('-', ' \t '),
      ` ${activation.slice(0, 10).toLowerCase()}${activation.slice(10).replaceAll('-', ' ')}  `,
    ]) {
      expect(parseCode(typed)).toEqual({ ok: true, kind: 'activation-code', code: activation });
    }
  });

  it('reads O as 0 and I or L as 1 in an Activation Code, in either case (Crockford)', () => {
    const code = 'PC-0000-00000-00000-00000-00000-0001Y' as Code;
    for (const typed of [
      'PC-OOOO-OOOOO-OOOOO-OOOOO-OOOOO-OOOIY',
      'pc-oooo-00000-00000-00000-00000-000ly',
      'PC-0000-00000-00000-00000-00000-000iy',
      'PC-0000-00000-00000-00000-00000-000Ly',
    ]) {
      expect(parseCode(typed)).toEqual({ ok: true, kind: 'activation-code', code });
    }
  });

  it('refuses U in an Activation Code and a letter in a Registration Key as format', () => {
    expect(parseCode(`${activation.slice(0, -1)}U`)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(`${activation.slice(0, -1)}u`)).toEqual({ ok: false, reason: 'format' });
    // Crockford's reading is for Activation Codes: a key is digits only.
    expect(parseCode('PC-OOOO-OOOO-OOOO-5724')).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(`${key.slice(0, -1)}A`)).toEqual({ ok: false, reason: 'format' });
  });

  it('refuses another prefix as format, and reads the given one in any case', () => {
    expect(parseCode(`PD${key.slice(2)}`)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(`XY${activation.slice(2)}`)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(key.slice(3))).toEqual({ ok: false, reason: 'format' });
    const other = drawCode('registration-key', random, 'XY');
    expect(parseCode(other)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(other.toLowerCase(), 'XY')).toEqual({ ok: true, kind: 'registration-key', code: other });
  });

  it('refuses a body of any other length as format', () => {
    expect(parseCode(`${key}0`)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(key.slice(0, -1))).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(`${activation}0`)).toEqual({ ok: false, reason: 'format' });
    expect(parseCode('PC')).toEqual({ ok: false, reason: 'format' });
  });

  it('refuses input longer than 80 characters as too long, before anything else', () => {
    const padding = ' '.repeat(80 - key.length);
    expect(parseCode(`${padding}${key}`)).toMatchObject({ ok: true, code: key });
    expect(parseCode(`${padding} ${key}`)).toEqual({ ok: false, reason: 'too-long' });
    expect(parseCode('x'.repeat(81))).toEqual({ ok: false, reason: 'too-long' });
    const huge = `${key}${' '.repeat(20_000_000)}`;
    const started = performance.now();
    expect(parseCode(huge)).toEqual({ ok: false, reason: 'too-long' });
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('reports empty input as empty', () => {
    for (const typed of ['', ' ', '\n\t ', '-', ' - - ']) {
      expect(parseCode(typed)).toEqual({ ok: false, reason: 'empty' });
    }
  });

  it('refuses control characters as format', () => {
    for (const typed of [
      '\u0000',
      '\u0007\u0008',
      `${key}\u0000`,
      `PC\u0000${key.slice(2)}`,
      key.replace('-', '\r'),
    ]) {
      expect(parseCode(typed)).toEqual({ ok: false, reason: 'format' });
    }
  });

  it('refuses Unicode lookalikes as format instead of folding them', () => {
    const fullWidth = key.replace(/\d/g, (digit) => String.fromCharCode(0xff10 + Number(digit)));
    for (const typed of [
      fullWidth,
      // Cyrillic С (U+0421) and Р in the prefix, Cyrillic О in a body.
      `P\u0421${key.slice(2)}`,
      `\u0420\u0421${key.slice(2)}`,
      'PC-\u041eOOO-OOOOO-OOOOO-OOOOO-OOOOO-OOOIY',
      // Dotless ı uppercases to I, which would read as 1.
      'PC-0000-00000-00000-00000-00000-000\u0131Y',
      // The Kelvin sign lowercases to k.
      `${activation.slice(0, 3)}\u212a${activation.slice(4)}`,
      // Separators other than -, space and tab: no-break space, en dash, zero-width space.
      key.replaceAll('-', '\u00a0'),
      key.replaceAll('-', '\u2013'),
      key.replace('-', '\u200b'),
    ]) {
      expect(parseCode(typed)).toEqual({ ok: false, reason: 'format' });
    }
  });

  it('refuses a code of the other kind as format when one kind is expected', () => {
    expect(parseCode(key, 'PC', 'activation-code')).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(activation, 'PC', 'registration-key')).toEqual({ ok: false, reason: 'format' });
    expect(parseCode(key, 'PC', 'registration-key')).toMatchObject({ ok: true, code: key });
    expect(parseCode(activation, undefined, 'activation-code')).toMatchObject({ ok: true, code: activation });
  });
});

describe('codes: masking and kinds (R11)', () => {
  it('shows the prefix, the first and the last group only', () => {
    expect(maskCode('PC-1234-5678-9012-3456' as Code)).toBe('PC-1234-****-****-3456');
    expect(maskCode('PC-AB12-CDEFG-HJKMN-PQRST-VWXYZ-01234' as Code)).toBe(
      'PC-AB12-*****-*****-*****-*****-01234',
    );
  });

  it('never shows a middle group of a drawn code', () => {
    for (let i = 0; i < 500; i++) {
      const code = drawCode(i % 2 === 0 ? 'registration-key' : 'activation-code', random);
      const groups = code.split('-');
      const masked = maskCode(code).split('-');
      expect(masked).toHaveLength(groups.length);
      expect(masked.slice(0, 2)).toEqual(groups.slice(0, 2));
      expect(masked.at(-1)).toBe(groups.at(-1));
      for (const [j, group] of masked.slice(2, -1).entries()) {
        expect(group).toBe('*'.repeat(groups[j + 2]?.length ?? 0));
      }
    }
  });

  it('masks all but the prefix of a string that is not in canonical form', () => {
    expect(maskCode('PC12345678' as Code)).toBe('PC********');
  });

  it('tells the kind of a canonical code and refuses anything else', () => {
    expect(codeKindOf(key)).toBe('registration-key');
    expect(codeKindOf(activation)).toBe('activation-code');
    expect(() => codeKindOf(key.toLowerCase() as Code)).toThrow(TypeError);
    expect(() => codeKindOf('PC-1234' as Code)).toThrow(TypeError);
  });
});

describe('codes: unique draws (R11)', () => {
  it('draws again while a code is taken', () => {
    const same = [7, 1, 4, 9, 2, 2, 8, 0, 3, 3, 6, 5, 1, 0, 9];
    const source = scriptedRandom(
      same,
      same,
      same.map((b) => (b + 1) % 10),
    );
    const taken = new Set<string>();
    const first = drawUnique('registration-key', source, (code) => taken.has(code));
    taken.add(first);
    const checked: string[] = [];
    const second = drawUnique('registration-key', source, (code) => {
      checked.push(code);
      return taken.has(code);
    });
    expect(checked).toEqual([first, second]);
    expect(second).not.toBe(first);
    expect(source.calls).toHaveLength(3);
  });

  it('throws CodeSpaceExhaustedError after maxAttempts taken draws', () => {
    const stuck: RandomBytes = (count) => new Uint8Array(count).fill(7);
    const taken = new Set<string>([drawCode('activation-code', stuck)]);
    let attempts = 0;
    const isTaken = (code: Code) => {
      attempts++;
      return taken.has(code);
    };
    expect(() => drawUnique('activation-code', stuck, isTaken)).toThrow(CodeSpaceExhaustedError);
    expect(attempts).toBe(8);
    attempts = 0;
    const error = (() => {
      try {
        drawUnique('activation-code', stuck, isTaken, 3);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toMatchObject({ name: 'CodeSpaceExhaustedError', kind: 'activation-code', attempts: 3 });
    expect(attempts).toBe(3);
    expect(() => drawUnique('activation-code', stuck, isTaken, 0)).toThrow(RangeError);
  });
});

describe('codes: a million draws (R11)', () => {
  const MILLION = 1_000_000;

  /** Draws a million keys through drawUnique against a Set; returns the redraws it needed. */
  function millionUniqueKeys(source: RandomBytes): number {
    const seen = new Set<string>();
    let redraws = 0;
    const isTaken = (code: Code) => {
      const taken = seen.has(code);
      if (taken) redraws++;
      return taken;
    };
    for (let i = 0; i < MILLION; i++) {
      const code = drawUnique('registration-key', source, isTaken);
      const parsed = parseCode(code);
      if (!parsed.ok || parsed.code !== code) throw new Error(`${code} does not read back`);
      seen.add(code);
    }
    expect(seen.size).toBe(MILLION);
    return redraws;
  }

  /** Draws a million Activation Codes; returns how many were drawn before. */
  function millionActivationDuplicates(source: RandomBytes): number {
    const seen = new Set<string>();
    for (let i = 0; i < MILLION; i++) {
      const code = drawCode('activation-code', source);
      const parsed = parseCode(code);
      if (!parsed.ok || parsed.code !== code) throw new Error(`${code} does not read back`);
      seen.add(code);
    }
    return MILLION - seen.size;
  }

  // 10^15 keys: a million draws collide about 5e-4 times (n²/2N), so a redraw is rare and more
  // than a few would mean a biased source (Poisson: P(≥ 6) ≈ 1e-22).
  it('draws a million unique, well-formed Registration Keys from a deterministic strong source', () => {
    expect(millionUniqueKeys(counterModeRandom('a million keys'))).toBeLessThan(6);
  }, 60_000);

  it('draws a million unique, well-formed Registration Keys from node:crypto', () => {
    expect(millionUniqueKeys(cryptoRandomBytes)).toBeLessThan(6);
  }, 60_000);

  // 2^140 codes: a duplicate among a million has probability about 2^-101.
  it('draws a million Activation Codes without a duplicate from a deterministic strong source', () => {
    expect(millionActivationDuplicates(counterModeRandom('a million activation codes'))).toBe(0);
  }, 60_000);

  it('draws a million Activation Codes without a duplicate from node:crypto', () => {
    expect(millionActivationDuplicates(cryptoRandomBytes)).toBe(0);
  }, 60_000);
});
