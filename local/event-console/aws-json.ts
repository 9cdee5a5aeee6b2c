import { randomUUID } from 'node:crypto';

/**
 * The two AWS operations the backend calls when it publishes, in awsJson1_1 as the real SDK
 * clients speak it: EventBridge PutEvents and Secrets Manager GetSecretValue. Validation is what
 * AWS does and is cheap to copy: a request AWS refuses whole is a 400 in AWS's error shape, an
 * entry AWS refuses alone is a failed entry (`FailedEntryCount` > 0, HTTP 200), as in AWS, so a
 * publisher that ignores `FailedEntryCount` is caught here too.
 */

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
export const GET_SECRET_VALUE_TARGET = 'secretsmanager.GetSecretValue';

/** An error answered as `{"__type", "message"}` with `x-amzn-ErrorType`: what the SDK turns into `name`. */
export class AwsJsonError extends Error {
  override readonly name = 'AwsJsonError';
  constructor(
    readonly errorType: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

const MAX_ENTRIES = 10;
/** EventBridge's limit on one entry, counted as AWS counts it (eb-putevent-size). */
export const MAX_ENTRY_BYTES = 256 * 1024;
/** A Time counts as 14 bytes, whatever its encoding. */
const TIME_BYTES = 14;

/** An awsJson body is one JSON object; anything else is a SerializationException. */
export function parseAwsJson(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsJsonError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsJsonError('SerializationException', 'Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** One entry EventBridge accepted, as the console keeps it. */
export interface AcceptedEntry {
  readonly eventId: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  /** The entry's Time (ISO), or the call's time when it had none, as EventBridge does. */
  readonly time: string;
  readonly detail: string;
}

export interface PutEventsAnswer {
  readonly output: {
    readonly FailedEntryCount: number;
    readonly Entries: readonly (
      | { readonly EventId: string }
      | { readonly ErrorCode: string; readonly ErrorMessage: string }
    )[];
  };
  readonly accepted: readonly AcceptedEntry[];
  /** Why each refused entry was refused, for the log. */
  readonly refused: readonly string[];
}

export function putEvents(input: Record<string, unknown>, now: Date): PutEventsAnswer {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw new AwsJsonError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
    );
  }
  entries.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new AwsJsonError('SerializationException', `Entries[${i}] is not an object.`);
    }
    if (entrySize(entry as Record<string, unknown>) > MAX_ENTRY_BYTES) {
      throw new AwsJsonError(
        'ValidationException',
        `Total size of the entries in the request is over the limit (entry ${i} is over ${MAX_ENTRY_BYTES} bytes).`,
      );
    }
  });

  const accepted: AcceptedEntry[] = [];
  const refused: string[] = [];
  const results = (entries as Record<string, unknown>[]).map((entry, i) => {
    const problem = entryProblem(entry);
    if (problem !== undefined) {
      refused.push(`entry ${i}: ${problem.ErrorCode}: ${problem.ErrorMessage}`);
      return problem;
    }
    const eventId = randomUUID();
    accepted.push({
      eventId,
      bus: entry.EventBusName as string,
      source: entry.Source as string,
      detailType: entry.DetailType as string,
      time: entryTime(entry.Time) ?? now.toISOString(),
      detail: entry.Detail as string,
    });
    return { EventId: eventId };
  });
  return {
    output: { FailedEntryCount: results.length - accepted.length, Entries: results },
    accepted,
    refused,
  };
}

function entryProblem(
  entry: Record<string, unknown>,
): { ErrorCode: string; ErrorMessage: string } | undefined {
  const { Source, DetailType, Detail, EventBusName } = entry;
  if (!nonEmpty(Source) || !nonEmpty(DetailType) || !nonEmpty(Detail)) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
    };
  }
  // AWS would put such an entry on the account's default bus; the backend always names its own.
  if (!nonEmpty(EventBusName)) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'EventBusName is missing: the event would go to the default bus, not the custom one.',
    };
  }
  if (!isJsonObject(Detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  return undefined;
}

/** Time (14 bytes if present) + Source + DetailType + Detail + each Resource, UTF-8. */
function entrySize(entry: Record<string, unknown>): number {
  let size = entry.Time === undefined || entry.Time === null ? 0 : TIME_BYTES;
  for (const text of [entry.Source, entry.DetailType, entry.Detail]) {
    if (typeof text === 'string') size += Buffer.byteLength(text);
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources)
      if (typeof resource === 'string') size += Buffer.byteLength(resource);
  }
  return size;
}

/** awsJson sends timestamps as epoch seconds (the SDK's default); ISO strings are read too. */
function entryTime(time: unknown): string | undefined {
  const date =
    typeof time === 'number' ? new Date(time * 1000) : typeof time === 'string' ? new Date(time) : undefined;
  return date === undefined || Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

export interface SecretAnswer {
  readonly secretString: string;
  readonly createdAt: Date;
  readonly versionId: string;
}

/** Any SecretId names the console's one secret; the ARN keeps the name a caller gave. */
export function getSecretValue(
  input: Record<string, unknown>,
  secret: SecretAnswer,
): Record<string, unknown> {
  const id = input.SecretId;
  if (typeof id !== 'string' || id.length === 0) {
    throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  }
  const name = id.startsWith('arn:') ? (id.split(':secret:')[1] ?? id).replace(/-[A-Za-z0-9]{6}$/, '') : id;
  return {
    ARN: id.startsWith('arn:') ? id : `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-local0`,
    Name: name,
    SecretString: secret.secretString,
    VersionId: secret.versionId,
    VersionStages: ['AWSCURRENT'],
    // Epoch seconds, as awsJson1_1 sends timestamps; the SDK makes a Date of it.
    CreatedDate: secret.createdAt.getTime() / 1000,
  };
}
