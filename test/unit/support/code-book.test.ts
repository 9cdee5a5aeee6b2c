import { describe, expect, it } from 'vitest';
import { drawCode, type RandomBytes } from '../../../lib/domain/codes/codes.js';
import { codeBook } from '../../../lib/domain/support/code-book.js';

const counting: RandomBytes = (() => {
  let n = 7;
  return (count: number) => Uint8Array.from({ length: count }, () => (n = (n * 31 + 11) % 250));
})();

describe('codeBook (R11)', () => {
  const book = codeBook(counting);

  it('reads a code as typed, in its canonical form, whatever its two-letter prefix', () => {
    const code = drawCode('activation-code', counting, 'XY');
    expect(book.parse(` ${code.toLowerCase().replaceAll('-', ' ')} `)).toEqual({
      ok: true,
      kind: 'activation-code',
      code,
    });
    const key = drawCode('registration-key', counting);
    expect(book.parse(key.replaceAll('-', ''))).toEqual({ ok: true, kind: 'registration-key', code: key });
  });

  it('refuses what is no code, saying why', () => {
    expect(book.parse('')).toEqual({ ok: false, reason: 'empty' });
    expect(book.parse('PC-1234')).toEqual({ ok: false, reason: 'format' });
    const key = drawCode('registration-key', counting);
    const wrong = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
    expect(book.parse(wrong)).toEqual({ ok: false, reason: 'checksum' });
  });

  it('draws a replacement of the same kind and prefix, and masks all but the ends', () => {
    const old = drawCode('activation-code', counting, 'XY');
    const next = book.draw('activation-code', old);
    expect(next.startsWith('XY-')).toBe(true);
    expect(book.parse(next)).toMatchObject({ ok: true, kind: 'activation-code' });
    expect(book.mask(next)).toMatch(/^XY-[0-9A-Z]{4}(-\*{5}){4}-[0-9A-Z]{5}$/);
  });
});
