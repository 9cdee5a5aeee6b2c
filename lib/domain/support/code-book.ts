import {
  CODE_PREFIX_DEFAULT,
  type Code,
  drawCode,
  maskCode,
  parseCode,
  type RandomBytes,
} from '../codes/codes.js';
import type { CodeBook } from './ports.js';

/** The two letters a typed code starts with (any case, after spaces), or the default prefix. */
function prefixOf(input: string): string {
  return /^\s*([A-Za-z]{2})/.exec(input)?.[1]?.toUpperCase() ?? CODE_PREFIX_DEFAULT;
}

/**
 * Codes for support (R11), over lib/domain/codes: a typed code is read with the prefix it
 * starts with (a deployment may issue another than `PC`; the check character still has to
 * hold), and a replacement is drawn with the prefix of the code it replaces.
 */
export function codeBook(random: RandomBytes): CodeBook {
  return {
    parse(input) {
      const parsed = parseCode(input, prefixOf(input));
      return parsed.ok
        ? { ok: true, kind: parsed.kind, code: parsed.code }
        : { ok: false, reason: parsed.reason };
    },
    draw: (kind, like) => drawCode(kind, random, prefixOf(like)),
    // Stored codes are canonical (parseCode's output): the brand only restates that.
    mask: (code) => maskCode(code as Code),
  };
}
