/**
 * Registration Keys and Activation Codes (R11): how they are drawn, read back from what a person
 * typed, and shown in part. A Registration Key is two letters and four groups of four digits
 * (`PC-1234-5678-9012-3456`); an Activation Code is two letters, a group of four and five groups of
 * five Crockford base32 symbols (`PC-AB12-CDEFG-HJKMN-PQRST-VWXYZ-0123Z`). Each body ends in a
 * check character, so a mistyped code is refused before anything is read and costs no lookup.
 *
 * Pure: the randomness comes in as a `RandomBytes` source (node:crypto in production, see
 * lib/adapters/crypto/code-random.ts), so draws are repeatable in tests.
 */

export type CodeKind = 'registration-key' | 'activation-code';

/** A random source: fills n bytes, uniformly random (a CSPRNG in production). */
export type RandomBytes = (count: number) => Uint8Array;

export const CODE_PREFIX_DEFAULT = 'PC';

/** The canonical form: uppercase, with dashes, e.g. PC-1234-5678-9012-3456 */
export type Code = string & { readonly __code: unique symbol };

export type ParsedCode =
  | { ok: true; kind: CodeKind; code: Code }
  | { ok: false; reason: 'empty' | 'too-long' | 'format' | 'checksum' };

/** Drawing refused: every one of `attempts` fresh codes was taken already. */
export class CodeSpaceExhaustedError extends Error {
  override readonly name = 'CodeSpaceExhaustedError';
  constructor(
    readonly kind: CodeKind,
    readonly attempts: number,
  ) {
    super(`${attempts} ${kind}s drawn in a row were all taken; the random source may be broken`);
  }
}

/**
 * Longer than any code written with generous separators; refusing more before any other work
 * keeps a pasted document (or an attacker's megabyte) from costing more than a length check.
 */
const MAX_INPUT_LENGTH = 80;

/** Crockford base32: no I, L, O (they read as 1 and 0) and no U (it makes words). */
const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGITS = '0123456789';

const REGISTRATION_BODY_LENGTH = 16;
const ACTIVATION_BODY_LENGTH = 29;
const REGISTRATION_GROUPS = [4, 4, 4, 4] as const;
const ACTIVATION_GROUPS = [4, 5, 5, 5, 5, 5] as const;
/** With the prefix and a dash before every group. */
const REGISTRATION_CODE_LENGTH = 2 + REGISTRATION_BODY_LENGTH + REGISTRATION_GROUPS.length;
const ACTIVATION_CODE_LENGTH = 2 + ACTIVATION_BODY_LENGTH + ACTIVATION_GROUPS.length;

/**
 * Bytes from 250 up are thrown away when drawing digits: 250 is the largest multiple of 10 a
 * byte can hold, so `byte % 10` of the rest is exactly uniform (a plain `% 10` would favour 0–5).
 */
const DIGIT_BYTE_LIMIT = 250;
/** 15 digits need 15.4 bytes on average; 32 in one request almost never run out. */
const DIGIT_BATCH = 32;

/**
 * The Damm algorithm's quasigroup of order 10 (weakly totally anti-symmetric, zero diagonal),
 * row = interim digit, column = next digit, flattened to one string so a lookup is a charCodeAt.
 * It catches every single-digit error and every adjacent transposition, with no extra symbol.
 */
const DAMM_TABLE = [
  '0317598642',
  '7092154863',
  '4206871359',
  '1750983426',
  '6123045978',
  '3674209581',
  '5869720134',
  '8945362017',
  '9438617205',
  '2581436790',
].join('');

const PREFIX_PATTERN = /^[A-Z]{2}$/;
const CANONICAL_REGISTRATION = /^[A-Z]{2}-\d{4}-\d{4}-\d{4}-\d{4}$/;
const CANONICAL_ACTIVATION = /^[A-Z]{2}-[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{5}){5}$/;

/**
 * A fresh code of `kind` (R11): 15 uniform digits and a Damm check digit, or 28 uniform base32
 * symbols (140 bits) and a Luhn mod 32 check symbol. Asks `random` for bytes once per code in
 * all but the rarest cases, so a million draws stay cheap.
 */
export function drawCode(kind: CodeKind, random: RandomBytes, prefix: string = CODE_PREFIX_DEFAULT): Code {
  checkPrefix(prefix);
  if (kind === 'registration-key') {
    const digits = drawDigits(REGISTRATION_BODY_LENGTH - 1, random);
    digits.push(dammInterim(digits));
    return formatCode(prefix, digits, DIGITS, REGISTRATION_GROUPS);
  }
  const symbols = drawSymbols(ACTIVATION_BODY_LENGTH - 1, random);
  symbols.push(luhnCheckValue(symbols));
  return formatCode(prefix, symbols, CROCKFORD_ALPHABET, ACTIVATION_GROUPS);
}

/**
 * Draws until `isTaken` says no, at most `maxAttempts` times (R11). For batches checked against a
 * set in memory; the stores keep codes unique on their own with conditional writes. With a
 * working CSPRNG a second attempt is already rare (10^15 Registration Keys), so running out means
 * the random source is broken, not that the space is full.
 */
export function drawUnique(
  kind: CodeKind,
  random: RandomBytes,
  isTaken: (code: Code) => boolean,
  maxAttempts = 8,
  prefix: string = CODE_PREFIX_DEFAULT,
): Code {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const code = drawCode(kind, random, prefix);
    if (!isTaken(code)) return code;
  }
  throw new CodeSpaceExhaustedError(kind, maxAttempts);
}

/**
 * Reads a code as a person may type or paste it (R11): any case, with or without dashes, spaces
 * or tabs between characters, surrounded by whitespace; in an Activation Code, O reads as 0 and
 * I or L as 1 (Crockford). Only ASCII letters and digits count, so full-width digits or a
 * Cyrillic `С` are refused rather than folded (`'ı'.toUpperCase()` is `I`). The kind follows from
 * the length; with `expected`, a code of the other kind is refused as `format`. Returns the
 * canonical form, the one codes are stored under.
 */
export function parseCode(
  input: string,
  prefix: string = CODE_PREFIX_DEFAULT,
  expected?: CodeKind,
): ParsedCode {
  checkPrefix(prefix);
  if (input.length > MAX_INPUT_LENGTH) return { ok: false, reason: 'too-long' };
  const compact = compactOf(input.trim());
  if (compact === undefined) return { ok: false, reason: 'format' };
  if (compact.length === 0) return { ok: false, reason: 'empty' };
  if (compact[0] !== prefix.charCodeAt(0) || compact[1] !== prefix.charCodeAt(1)) {
    return { ok: false, reason: 'format' };
  }
  const kind = kindOfLength(compact.length - 2);
  if (kind === undefined || (expected !== undefined && kind !== expected)) {
    return { ok: false, reason: 'format' };
  }
  const body = compact.slice(2);
  if (kind === 'registration-key') {
    const digits = digitValues(body);
    if (digits === undefined) return { ok: false, reason: 'format' };
    if (dammInterim(digits) !== 0) return { ok: false, reason: 'checksum' };
    return { ok: true, kind, code: formatCode(prefix, digits, DIGITS, REGISTRATION_GROUPS) };
  }
  const symbols = crockfordValues(body);
  if (symbols === undefined) return { ok: false, reason: 'format' };
  if (luhnSum(symbols, false) !== 0) return { ok: false, reason: 'checksum' };
  return { ok: true, kind, code: formatCode(prefix, symbols, CROCKFORD_ALPHABET, ACTIVATION_GROUPS) };
}

/**
 * A code for places that must not show a whole one (logs, support screens, mails to others): the
 * prefix, the first group and the last group, the rest as `*`
 * (`PC-1234-****-****-3456`). Enough to tell codes apart, far too little to use one.
 */
export function maskCode(code: Code): string {
  const groups = code.split('-');
  // Not in canonical form (a cast string): show nothing past the prefix rather than guess.
  if (groups.length < 4) return code.slice(0, 2) + code.slice(2).replace(/[^-]/g, '*');
  const last = groups.length - 1;
  return groups.map((group, i) => (i <= 1 || i === last ? group : '*'.repeat(group.length))).join('-');
}

/** The kind of a canonical code, from its shape. */
export function codeKindOf(code: Code): CodeKind {
  if (code.length === REGISTRATION_CODE_LENGTH && CANONICAL_REGISTRATION.test(code))
    return 'registration-key';
  if (code.length === ACTIVATION_CODE_LENGTH && CANONICAL_ACTIVATION.test(code)) return 'activation-code';
  throw new TypeError('Not a code in canonical form');
}

/** The Damm check digit of a string of digits: appended, it makes the whole string check to 0. */
export function dammCheckDigit(digits: string): string {
  const values = digitValues(asciiCodes(digits));
  if (values === undefined) throw new TypeError('Damm check digits are defined over digits only');
  return DIGITS.charAt(dammInterim(values));
}

/** The Luhn mod 32 check symbol of a string of canonical Crockford base32 symbols. */
export function luhnModNCheckSymbol(symbols: string): string {
  const values = Array.from(symbols, (char) => CROCKFORD_ALPHABET.indexOf(char));
  if (values.includes(-1)) {
    throw new TypeError('Luhn mod N check symbols are defined over canonical Crockford symbols only');
  }
  return CROCKFORD_ALPHABET.charAt(luhnCheckValue(values));
}

function checkPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`A code prefix is two uppercase ASCII letters, got ${JSON.stringify(prefix)}`);
  }
}

/**
 * Bytes from `random`, refusing a short answer: reading past it would quietly yield a code with
 * fewer random characters than it shows.
 */
function takeBytes(random: RandomBytes, count: number): Uint8Array {
  const bytes = random(count);
  if (bytes.length < count)
    throw new TypeError(`The random source returned ${bytes.length} of ${count} bytes`);
  return bytes;
}

/** `count` uniform digit values by rejection sampling, refilling only when a batch runs out. */
function drawDigits(count: number, random: RandomBytes): number[] {
  const digits: number[] = [];
  while (digits.length < count) {
    const before = digits.length;
    for (const byte of takeBytes(random, DIGIT_BATCH)) {
      if (byte >= DIGIT_BYTE_LIMIT) continue;
      digits.push(byte % 10);
      if (digits.length === count) break;
    }
    // A uniform source rejects a whole batch with probability (6/256)^32 ≈ 1e-52; a stuck one
    // (all 0xFF) would otherwise loop for ever.
    if (digits.length === before) throw new Error(`The random source gave no usable byte in ${DIGIT_BATCH}`);
  }
  return digits;
}

/** `count` uniform base32 values: 32 divides 256, so the low five bits of a byte are uniform. */
function drawSymbols(count: number, random: RandomBytes): number[] {
  const symbols: number[] = [];
  for (const byte of takeBytes(random, count)) {
    symbols.push(byte & 31);
    if (symbols.length === count) break;
  }
  return symbols;
}

/**
 * The canonical form `PC-1234-5678-…`: the prefix, then the body's values written in `alphabet`
 * in groups. Built as one array of char codes and one string, which a million draws notice.
 */
function formatCode(
  prefix: string,
  values: readonly number[],
  alphabet: string,
  groups: readonly number[],
): Code {
  const chars = [prefix.charCodeAt(0), prefix.charCodeAt(1)];
  let boundary = 0;
  let nextGroup = 0;
  values.forEach((value, i) => {
    if (i === boundary) {
      chars.push(DASH);
      boundary += groups[nextGroup++] ?? values.length;
    }
    chars.push(alphabet.charCodeAt(value));
  });
  return String.fromCharCode(...chars) as Code;
}

const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * The char codes of the input without its separators, ASCII letters uppercased; undefined when
 * it holds anything but ASCII letters, digits, `-`, spaces and tabs.
 */
function compactOf(input: string): number[] | undefined {
  const compact: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const char = input.charCodeAt(i);
    if (char === DASH || char === SPACE || char === TAB) continue;
    if ((char >= 0x30 && char <= 0x39) || (char >= 0x41 && char <= 0x5a)) compact.push(char);
    else if (char >= 0x61 && char <= 0x7a) compact.push(char - 0x20);
    else return undefined;
  }
  return compact;
}

function asciiCodes(value: string): number[] {
  return Array.from(value, (char) => char.charCodeAt(0));
}

function kindOfLength(bodyLength: number): CodeKind | undefined {
  if (bodyLength === REGISTRATION_BODY_LENGTH) return 'registration-key';
  if (bodyLength === ACTIVATION_BODY_LENGTH) return 'activation-code';
  return undefined;
}

/** Digit values of char codes; undefined when one is not an ASCII digit. */
function digitValues(chars: readonly number[]): number[] | undefined {
  const digits: number[] = [];
  for (const char of chars) {
    if (char < 0x30 || char > 0x39) return undefined;
    digits.push(char - 0x30);
  }
  return digits;
}

/**
 * Crockford values of uppercase char codes, read tolerantly: O as 0, I and L as 1. U, and anything
 * else outside the alphabet, makes it undefined.
 */
function crockfordValues(chars: readonly number[]): number[] | undefined {
  const values: number[] = [];
  for (const char of chars) {
    const value = CROCKFORD_VALUES[char] ?? -1;
    if (value < 0) return undefined;
    values.push(value);
  }
  return values;
}

/** Uppercase ASCII char code → Crockford value, -1 where there is none (U, punctuation). */
const CROCKFORD_VALUES: readonly number[] = Array.from({ length: 128 }, (_, char) => {
  const read = char === 0x4f ? '0' : char === 0x49 || char === 0x4c ? '1' : String.fromCharCode(char);
  return CROCKFORD_ALPHABET.indexOf(read);
});

/** The Damm interim digit after `digits`: 0 when they end in their check digit. */
function dammInterim(digits: readonly number[]): number {
  let interim = 0;
  for (const digit of digits) interim = DAMM_TABLE.charCodeAt(interim * 10 + digit) - 0x30;
  return interim;
}

/**
 * The Luhn mod N sum of base-32 values, N = 32: from the right, every other value doubled (the
 * rightmost one when `doubleRightmost`), a doubled value of N or more counted as the sum of its
 * two base-N digits (2v − N + 1).
 */
function luhnSum(values: readonly number[], doubleRightmost: boolean): number {
  const base = CROCKFORD_ALPHABET.length;
  let sum = 0;
  // Walked from the left: the leftmost value is doubled when it sits at an even distance from
  // the rightmost and that one is doubled, or at an odd distance and it is not.
  let double = (values.length % 2 === 1) === doubleRightmost;
  for (const value of values) {
    const addend = double ? value * 2 : value;
    sum += addend >= base ? addend - base + 1 : addend;
    double = !double;
  }
  return sum % base;
}

/** The value whose symbol, appended to the payload, makes the Luhn mod N sum a multiple of N. */
function luhnCheckValue(payload: readonly number[]): number {
  const base = CROCKFORD_ALPHABET.length;
  return (base - luhnSum(payload, true)) % base;
}
