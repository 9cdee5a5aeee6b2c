/**
 * The part of Lambda's event filter grammar (the EventBridge pattern syntax) that the stream
 * mapping's `EVENT_STREAM.filters` use, so the local stack drops the records Lambda would drop.
 *
 * A pattern is an object whose keys are matched against the record's, recursively; a leaf is an
 * array of alternatives, any of which may match: an exact string, number, boolean or null, or
 * `{ prefix }`, `{ exists }`, `{ 'anything-but': [...] }`. Every key of a pattern must match, and a
 * key the record lacks fails unless the pattern says `{ exists: false }`. A record value that is
 * an array matches when any element does, as in EventBridge.
 */
export function matchesFilters(record: object, patterns: readonly object[]): boolean {
  return patterns.some((pattern) => matchesNode(record, pattern, ''));
}

type Scalar = string | number | boolean | null;

function matchesNode(value: unknown, pattern: unknown, path: string): boolean {
  if (Array.isArray(pattern)) return matchesLeaf(value, pattern, path);
  if (!isPlainObject(pattern)) {
    throw new TypeError(
      `Filter pattern at ${path || '(root)'} must be an object or an array of alternatives`,
    );
  }
  const object = isPlainObject(value) ? value : undefined;
  return Object.entries(pattern).every(([key, child]) =>
    matchesNode(object?.[key], child, path ? `${path}.${key}` : key),
  );
}

function matchesLeaf(value: unknown, alternatives: readonly unknown[], path: string): boolean {
  return alternatives.some((alternative) => {
    if (isScalar(alternative)) {
      return anyElement(value, (v) => v === alternative);
    }
    if (!isPlainObject(alternative)) {
      throw new TypeError(`Filter alternative at ${path} must be a value or an operator object`);
    }
    const operators = Object.keys(alternative);
    if (operators.length !== 1) {
      throw new TypeError(
        `Filter alternative at ${path} must hold exactly one operator: ${operators.join(', ')}`,
      );
    }
    const [operator] = operators;
    const operand = alternative[operator as string];
    switch (operator) {
      case 'prefix':
        if (typeof operand !== 'string') throw new TypeError(`prefix at ${path} must be a string`);
        return anyElement(value, (v) => typeof v === 'string' && v.startsWith(operand));
      case 'exists':
        if (typeof operand !== 'boolean') throw new TypeError(`exists at ${path} must be a boolean`);
        return (value !== undefined) === operand;
      case 'anything-but': {
        const excluded = Array.isArray(operand) ? operand : [operand];
        if (!excluded.every(isScalar)) {
          throw new TypeError(`anything-but at ${path} supports only a value or a list of values`);
        }
        // Like EventBridge: the field must be there, and no value of it may be excluded.
        if (value === undefined) return false;
        const values = Array.isArray(value) ? value : [value];
        return values.every((v) => !excluded.includes(v as Scalar));
      }
      default:
        throw new TypeError(`Filter operator ${String(operator)} at ${path} is not supported locally`);
    }
  });
}

function anyElement(value: unknown, test: (v: unknown) => boolean): boolean {
  if (value === undefined) return false;
  return Array.isArray(value) ? value.some(test) : test(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
