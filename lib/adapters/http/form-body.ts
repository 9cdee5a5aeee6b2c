/**
 * Form bodies of Lambda function URL requests: urlencoded or multipart, plain or base64,
 * with a hard size limit. Only text fields; anything else is refused.
 */

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}
export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
}
export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

export const MAX_FORM_BYTES = 16 * 1024;
const MAX_FIELDS = 32;

export interface RawBody {
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean | undefined;
  readonly contentType?: string | undefined;
}

/** The fields of a form; a field given twice keeps its first value. */
export function parseFormBody(
  { body, isBase64Encoded, contentType }: RawBody,
  maxBytes = MAX_FORM_BYTES,
): Map<string, string> {
  const raw = body ?? '';
  // base64 is 4/3 of the bytes it carries: refuse before decoding anything large.
  if ((isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw)) > maxBytes) {
    throw new PayloadTooLargeError(`Form bodies are limited to ${maxBytes} bytes`);
  }
  const bytes = isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(`Form bodies are limited to ${maxBytes} bytes`);
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded'))
    return limit(new URLSearchParams(bytes.toString('utf8')));
  if (type.startsWith('multipart/form-data')) return parseMultipart(bytes, contentType ?? '');
  throw new UnsupportedMediaTypeError(`Unsupported content type "${type.slice(0, 80)}"`);
}

function limit(entries: Iterable<[string, string]>): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of entries) {
    if (!fields.has(name)) fields.set(name, value);
    if (fields.size > MAX_FIELDS) throw new MalformedBodyError('Too many form fields');
  }
  return fields;
}

function parseMultipart(bytes: Buffer, contentType: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new MalformedBodyError('multipart/form-data without a boundary');
  const text = bytes.toString('utf8');
  const parts = text.split(`--${marker}`);
  if (parts.length < 3) throw new MalformedBodyError('multipart body without parts');
  const entries: [string, string][] = [];
  for (const part of parts.slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) throw new MalformedBodyError('multipart part without headers');
    const headers = part.slice(0, split);
    const name = /content-disposition:\s*form-data;[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw new MalformedBodyError('multipart part without a field name');
    if (/\bfilename=/i.test(headers)) throw new MalformedBodyError('file uploads are not accepted');
    entries.push([name, part.slice(split + 4).replace(/\r\n$/, '')]);
  }
  return limit(entries);
}
