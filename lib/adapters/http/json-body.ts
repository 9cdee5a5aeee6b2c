import {
  MalformedBodyError,
  PayloadTooLargeError,
  type RawBody,
  UnsupportedMediaTypeError,
} from './form-body.js';

export const MAX_JSON_BYTES = 16 * 1024;
/** Deeper than any request of ours; a hostile body of nested arrays stops here, not in the validator. */
const MAX_DEPTH = 8;

/**
 * A JSON request body of a function URL: `application/json` only (415 otherwise), plain or
 * base64, at most `maxBytes` before and after decoding (413), valid JSON no deeper than eight
 * levels (400). What it holds is checked by the route's schema.
 */
export function parseJsonBody(
  { body, isBase64Encoded, contentType }: RawBody,
  maxBytes = MAX_JSON_BYTES,
): unknown {
  const type = (contentType ?? '').toLowerCase().split(';')[0]?.trim() ?? '';
  if (type !== 'application/json') {
    throw new UnsupportedMediaTypeError(
      `Send JSON with content-type application/json, not "${type.slice(0, 80)}"`,
    );
  }
  const raw = body ?? '';
  if ((isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw)) > maxBytes) {
    throw new PayloadTooLargeError(`JSON bodies are limited to ${maxBytes} bytes`);
  }
  const text = isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > maxBytes)
    throw new PayloadTooLargeError(`JSON bodies are limited to ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedBodyError('The body is not valid JSON');
  }
  if (tooDeep(value, MAX_DEPTH)) throw new MalformedBodyError(`JSON nested deeper than ${MAX_DEPTH} levels`);
  return value;
}

/** Whether `value` nests deeper than `max`, stopping at the first branch that does (no recursion to overflow). */
function tooDeep(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, level] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (level + 1 > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, level + 1]);
  }
  return false;
}
