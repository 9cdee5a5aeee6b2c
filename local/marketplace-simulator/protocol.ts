import { randomUUID } from 'node:crypto';
import {
  type EntitlementPage,
  type EntitlementQuery,
  FILTER_NAMES,
  type FilterName,
  MAX_RESULTS_LIMIT,
} from './entitlement-query.js';
import type { ResolvedCustomer } from './registration-tokens.js';
import { invalidParameter, ServiceError } from './service-error.js';

/**
 * awsJson framing for the simulated operations: target dispatch, input decoding (with the
 * service's own validation errors) and output/error encoding. ResolveCustomer and
 * GetEntitlements speak awsJson1_1; the Agreement API (agreement-protocol.ts) awsJson1_0.
 */

export const JSON_1_1_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const JSON_1_0_CONTENT_TYPE = 'application/x-amz-json-1.0';
export type JsonProtocol = 'awsJson1_0' | 'awsJson1_1';

export const AGREEMENT_OPERATIONS = [
  'DescribeAgreement',
  'GetAgreementTerms',
  'SearchAgreements',
  'GetAgreementEntitlements',
] as const;
export type AgreementOperationName = (typeof AGREEMENT_OPERATIONS)[number];
export type OperationName = 'ResolveCustomer' | 'GetEntitlements' | AgreementOperationName;

/** The Agreement API's smithy namespace: awsJson1_0 errors carry `__type: "<namespace>#<Name>"`. */
export const AGREEMENT_ERROR_NAMESPACE = 'com.amazonaws.marketplaceagreement';
const AGREEMENT_SERVICE = 'AWSMPCommerceService_v20200301';

const TARGETS: Readonly<Record<string, OperationName>> = {
  'AWSMPMeteringService.ResolveCustomer': 'ResolveCustomer',
  'AWSMPEntitlementService.GetEntitlements': 'GetEntitlements',
  ...Object.fromEntries(AGREEMENT_OPERATIONS.map((op) => [`${AGREEMENT_SERVICE}.${op}`, op])),
};

export function operationForTarget(target: string | undefined): OperationName | undefined {
  return target === undefined ? undefined : TARGETS[target];
}

export function protocolOf(operation: OperationName): JsonProtocol {
  return (AGREEMENT_OPERATIONS as readonly string[]).includes(operation) ? 'awsJson1_0' : 'awsJson1_1';
}

export const contentTypeOf = (protocol: JsonProtocol): string =>
  protocol === 'awsJson1_0' ? JSON_1_0_CONTENT_TYPE : JSON_1_1_CONTENT_TYPE;

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function respond(
  statusCode: number,
  payload: unknown,
  extraHeaders: Record<string, string> = {},
  protocol: JsonProtocol = 'awsJson1_1',
): WireResponse {
  return {
    statusCode,
    headers: {
      'content-type': contentTypeOf(protocol),
      'x-amzn-requestid': randomUUID(),
      ...extraHeaders,
    },
    body: JSON.stringify(payload),
  };
}

export const successResponse = (output: unknown, protocol: JsonProtocol = 'awsJson1_1'): WireResponse =>
  respond(200, output, {}, protocol);

/**
 * `x-amzn-ErrorType` header plus `__type`/`message` body: the SDK reads `__type` first, then
 * the header. awsJson1_1 sends the bare name (`ThrottlingException`); awsJson1_0 the shape id
 * (`com.amazonaws.marketplaceagreement#ThrottlingException`), as awsJson1_0 services do; the SDK
 * strips the namespace either way. The error's own members go beside `message`.
 */
export const errorResponse = (
  error: ServiceError,
  extraHeaders: Record<string, string> = {},
  protocol: JsonProtocol = 'awsJson1_1',
): WireResponse => {
  const type =
    protocol === 'awsJson1_0' ? `${AGREEMENT_ERROR_NAMESPACE}#${error.errorType}` : error.errorType;
  return respond(
    error.statusCode,
    { __type: type, message: error.message, ...error.members },
    { 'x-amzn-errortype': error.errorType, ...extraHeaders },
    protocol,
  );
};

/** An awsJson body must be one JSON object; anything else is a SerializationException. */
export function parseRequestBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new ServiceError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 'Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

export function decodeResolveCustomerInput(input: Record<string, unknown>): string {
  const token = input.RegistrationToken;
  // The model declares no ValidationException; a missing or empty token is simply not a valid token.
  if (typeof token !== 'string' || token.length === 0) {
    throw new ServiceError('InvalidTokenException', 'Registration token is invalid.');
  }
  return token;
}

export function decodeGetEntitlementsInput(input: Record<string, unknown>): EntitlementQuery {
  const { ProductCode, Filter, MaxResults, NextToken } = input;
  if (typeof ProductCode !== 'string' || ProductCode.length === 0 || ProductCode.length > 255) {
    throw invalidParameter('ProductCode is required and must be 1..255 characters.');
  }
  const query: EntitlementQuery = {
    productCode: ProductCode,
    filter: decodeFilter(Filter),
    maxResults: MAX_RESULTS_LIMIT,
  };
  if (MaxResults !== undefined && MaxResults !== null) {
    if (
      typeof MaxResults !== 'number' ||
      !Number.isInteger(MaxResults) ||
      MaxResults < 1 ||
      MaxResults > MAX_RESULTS_LIMIT
    ) {
      throw invalidParameter(`MaxResults must be an integer between 1 and ${MAX_RESULTS_LIMIT}.`);
    }
    query.maxResults = MaxResults;
  }
  if (NextToken !== undefined && NextToken !== null) {
    if (typeof NextToken !== 'string' || NextToken.length === 0)
      throw invalidParameter('The NextToken is invalid.');
    query.nextToken = NextToken;
  }
  return query;
}

function decodeFilter(raw: unknown): EntitlementQuery['filter'] {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter('Filter must be a map.');
  const filter: Partial<Record<FilterName, string[]>> = {};
  for (const [key, values] of Object.entries(raw)) {
    if (!(FILTER_NAMES as readonly string[]).includes(key)) {
      throw invalidParameter(`Unknown filter ${key}; expected one of ${FILTER_NAMES.join(', ')}.`);
    }
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'string' && v.length > 0)
    ) {
      throw invalidParameter(`Filter ${key} needs at least one non-empty string value.`);
    }
    filter[key as FilterName] = values as string[];
  }
  if (filter.CUSTOMER_IDENTIFIER !== undefined && filter.CUSTOMER_AWS_ACCOUNT_ID !== undefined) {
    throw invalidParameter('CUSTOMER_IDENTIFIER and CUSTOMER_AWS_ACCOUNT_ID filters are mutually exclusive.');
  }
  return filter;
}

/** Epoch seconds, as awsJson1_1 sends timestamps by default; the SDK turns it back into a Date. */
const epochSeconds = (date: Date): number => date.getTime() / 1000;

export function encodeResolveCustomerOutput(resolved: ResolvedCustomer): Record<string, unknown> {
  return {
    ...(resolved.customerIdentifier === undefined ? {} : { CustomerIdentifier: resolved.customerIdentifier }),
    CustomerAWSAccountId: resolved.customerAWSAccountId,
    ProductCode: resolved.productCode,
    LicenseArn: resolved.licenseArn,
  };
}

export function encodeGetEntitlementsOutput(page: EntitlementPage): Record<string, unknown> {
  return {
    Entitlements: page.entitlements.map((row) => ({
      ProductCode: row.productCode,
      Dimension: row.dimension,
      ...(row.customerIdentifier === undefined ? {} : { CustomerIdentifier: row.customerIdentifier }),
      CustomerAWSAccountId: row.customerAWSAccountId,
      LicenseArn: row.licenseArn,
      Value: { IntegerValue: row.quantity },
      ExpirationDate: epochSeconds(row.expirationDate),
    })),
    ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
  };
}
