import {
  decodeAgreementId,
  decodePageInput,
  decodeSearchInput,
  encodeAgreementEntitlementsOutput,
  encodeAgreementTermsOutput,
  encodeDescribeAgreementOutput,
  encodeSearchAgreementsOutput,
} from './agreement-protocol.js';
import { FaultInjector, type FaultKind, type FaultRates } from './faults.js';
import {
  contentTypeOf,
  decodeGetEntitlementsInput,
  decodeResolveCustomerInput,
  encodeGetEntitlementsOutput,
  encodeResolveCustomerOutput,
  errorResponse,
  type JsonProtocol,
  type OperationName,
  operationForTarget,
  parseRequestBody,
  protocolOf,
  successResponse,
  type WireResponse,
} from './protocol.js';
import { type RateLimit, RateLimiter } from './rate-limit.js';
import { type ListenOptions, listen, type RawRequest, type RunningSimulator } from './server.js';
import {
  agreementThrottling,
  internalServer,
  internalServiceError,
  ServiceError,
  throttling,
} from './service-error.js';
import { MarketplaceState } from './state.js';

export interface MarketplaceSimulatorOptions {
  /** Simulator clock; token expiry, agreement expiry and the rate limit read it. Default: real time. */
  now?: () => Date;
  /** Source for the random fault rates, in [0, 1). Default: Math.random. */
  random?: () => number;
  /** Larger request bodies get 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Request quotas (token buckets on the simulator clock); off when absent. See setRateLimit. */
  rateLimit?: RateLimit | readonly RateLimit[];
}

export type StartOptions = Omit<ListenOptions, 'maxBodyBytes'>;

/** One request the simulator answered, for assertions. */
export interface SimulatorCall {
  /** `ResolveCustomer`, `GetEntitlements`, `DescribeAgreement`, …, or the raw X-Amz-Target of a request it could not route. */
  operation: string;
  /** The parsed JSON body; undefined when it could not be read. */
  input: unknown;
  at: Date;
  /** `ok`, or the error type sent back (e.g. `ThrottlingException`). */
  outcome: 'ok' | (string & {});
}

/**
 * A protocol-level AWS Marketplace simulator for local runs and tests.
 *
 * What it simulates: on one HTTP endpoint, the awsJson1_1 wire protocol of
 * `AWSMPMeteringService.ResolveCustomer` and `AWSMPEntitlementService.GetEntitlements`, and the
 * awsJson1_0 protocol of the Marketplace Agreement API (`AWSMPCommerceService_v20200301`:
 * DescribeAgreement, GetAgreementTerms, SearchAgreements, GetAgreementEntitlements), so the real
 * SDK v3 clients (`MarketplaceMeteringClient`, `MarketplaceEntitlementServiceClient`,
 * `MarketplaceAgreementClient`) work against it through their `endpoint` option: routing on
 * `X-Amz-Target`, the content type per protocol, epoch-second timestamps, errors as HTTP
 * 400/403/404/500 with `x-amzn-ErrorType` and `{"__type", "message", …members}` (awsJson1_0
 * `__type` is namespaced: `com.amazonaws.marketplaceagreement#ValidationException`). Behind it:
 * licenses with contract dimensions; registration tokens that resolve to the same answer
 * for 4 hours, then `ExpiredTokenException`; `CustomerIdentifier` only for legacy licenses;
 * GetEntitlements filters (union within a key, intersection across keys, CUSTOMER_IDENTIFIER
 * and CUSTOMER_AWS_ACCOUNT_ID mutually exclusive), MaxResults 1..25, opaque signed
 * NextTokens, deterministic order, no rows for expired entitlements; buyer actions
 * (purchase, upgrade, renew, cancel); agreements (agreements.ts) with their chain
 * (initialAgreementId, previousAgreementId), status (EXPIRED read from the clock),
 * endTimeBehavior, estimated value and accepted terms (configurable upfront pricing, renewal,
 * free trial, legal), created/amended/ended by the console; SearchAgreements with the seller's
 * filters (one value each, AgreementType=PurchaseAgreement and PartyType=Proposer required),
 * sort on EndTime/StartTime/LastUpdateTime, maxResults 1..50, keyset pages and signed tokens;
 * AccessDeniedException for a channel partner's agreement where the seller is only the
 * manufacturer (and Search leaves those out); injected throttling and 5xx on every operation;
 * an optional rate limit (token buckets on the simulator clock); a call log.
 *
 * What it deliberately does not do: check SigV4 signatures or credentials (any
 * Authorization header is accepted); check the region, or that the caller is the seller
 * account that owns the product; simulate the metering operations (MeterUsage,
 * BatchMeterUsage, RegisterUsage), DisabledApiException, or the "about one hour" token
 * lifetime some docs mention; the Agreement API's other operations (cancellation and payment
 * requests, billing adjustments, invoices, AcceptAgreementRequest), the buyer's view
 * (PartyType=Acceptor), offer sets, future-dated agreements, usage-based or payment-schedule
 * terms, or the 30-minute lifetime of GetAgreementEntitlements tokens; enforce the real
 * service's quotas (only the configured rate limit throttles); return non-integer entitlement values (DoubleValue, BooleanValue,
 * StringValue); send SNS or EventBridge notifications for the buyer actions; persist
 * anything (state lives in memory and dies with the process). Validation failures in
 * GetEntitlements input map to InvalidParameterException, and a missing token to
 * InvalidTokenException, because those are the errors the models declare; the real
 * service's exact messages are not reproduced.
 */
export class MarketplaceSimulator extends MarketplaceState {
  readonly #faults: FaultInjector;
  readonly #calls: SimulatorCall[] = [];
  readonly #maxBodyBytes: number | undefined;
  readonly #rateLimiter: RateLimiter;

  constructor(options: MarketplaceSimulatorOptions = {}) {
    super(options.now === undefined ? {} : { now: options.now });
    this.#faults = new FaultInjector(options.random ?? Math.random);
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#rateLimiter = new RateLimiter(this.now);
    this.#rateLimiter.set(options.rateLimit);
  }

  /** Requests answered so far, oldest first. */
  get calls(): readonly SimulatorCall[] {
    return this.#calls;
  }

  resetCalls(): void {
    this.#calls.length = 0;
  }

  /** Random faults per request, drawn from the injected `random`; replaces earlier rates. */
  setFaults(rates: FaultRates): void {
    this.#faults.set(rates);
  }

  /** The next `count` requests (to `operation`, or any) fail with `kind`; checked before the random rates. */
  failNext(count: number, kind: FaultKind, operation?: OperationName): void {
    this.#faults.failNext(count, kind, operation);
  }

  /**
   * Request quotas: one token bucket per entry, shared by its `operations` (all when absent),
   * starting full with `burst` tokens and refilled at `perSecond` per second of the simulator's
   * `now` clock (not real time: advance the injected clock to refill). A request over the limit
   * gets ThrottlingException (HTTP 400) before any injected fault. `setRateLimit(undefined)`
   * turns it off; calling it again resets the buckets.
   */
  setRateLimit(limits: RateLimit | readonly RateLimit[] | undefined): void {
    this.#rateLimiter.set(limits);
  }

  /** Turns off fault rates and drops faults scheduled with failNext. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Serves the wire protocol over HTTP. Binds 127.0.0.1 and a free port unless told otherwise. */
  start(options: StartOptions = {}): Promise<RunningSimulator> {
    return listen((request) => this.#handle(request), {
      ...options,
      ...(this.#maxBodyBytes === undefined ? {} : { maxBodyBytes: this.#maxBodyBytes }),
    });
  }

  #handle(request: RawRequest): WireResponse {
    const target = headerValue(request.headers['x-amz-target']);
    const operation = operationForTarget(target);
    const protocol: JsonProtocol = operation === undefined ? 'awsJson1_1' : protocolOf(operation);
    const call: SimulatorCall = {
      operation: operation ?? target ?? '',
      input: undefined,
      at: this.now(),
      outcome: 'ok',
    };
    this.#calls.push(call);
    try {
      if (request.method !== 'POST') {
        throw new ServiceError('MethodNotAllowedException', 'Only POST is supported.', 405);
      }
      if (request.bodyTooLarge) {
        throw new ServiceError('RequestEntityTooLargeException', 'Request body is too large.', 413);
      }
      if (operation === undefined) {
        throw new ServiceError(
          'UnknownOperationException',
          `Unknown operation ${target ?? '(no X-Amz-Target)'}`,
        );
      }
      const expectedType = contentTypeOf(protocol);
      const contentType = headerValue(request.headers['content-type']) ?? '';
      if (contentType.split(';')[0]?.trim().toLowerCase() !== expectedType) {
        throw new ServiceError('SerializationException', `Content-Type must be ${expectedType}.`);
      }
      const input = parseRequestBody(request.body);
      call.input = input;
      if (!this.#rateLimiter.take(operation)) {
        throw protocol === 'awsJson1_0'
          ? agreementThrottling('Rate exceeded (marketplace simulator rate limit)')
          : new ServiceError('ThrottlingException', 'Rate exceeded (marketplace simulator rate limit)');
      }
      const fault = this.#faults.draw(operation);
      if (fault !== undefined) throw faultError(fault, protocol);
      return successResponse(this.#dispatch(operation, input), protocol);
    } catch (caught) {
      const error =
        caught instanceof ServiceError
          ? caught
          : new ServiceError(
              protocol === 'awsJson1_0' ? 'InternalServerException' : 'InternalServiceErrorException',
              `Marketplace simulator failure: ${String(caught)}`,
              500,
            );
      call.outcome = error.errorType;
      return errorResponse(error, error.statusCode === 405 ? { allow: 'POST' } : {}, protocol);
    }
  }

  #dispatch(operation: OperationName, input: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'ResolveCustomer':
        return encodeResolveCustomerOutput(this.resolveCustomer(decodeResolveCustomerInput(input)));
      case 'GetEntitlements':
        return encodeGetEntitlementsOutput(this.getEntitlements(decodeGetEntitlementsInput(input)));
      case 'DescribeAgreement':
        return encodeDescribeAgreementOutput(this.describeAgreement(decodeAgreementId(input)));
      case 'GetAgreementTerms':
        return encodeAgreementTermsOutput(this.getAgreementTerms(decodePageInput(input)));
      case 'SearchAgreements':
        return encodeSearchAgreementsOutput(this.searchAgreements(decodeSearchInput(input)));
      case 'GetAgreementEntitlements':
        return encodeAgreementEntitlementsOutput(this.getAgreementEntitlements(decodePageInput(input)));
    }
  }
}

function faultError(kind: FaultKind, protocol: JsonProtocol): ServiceError {
  if (kind === 'throttle') {
    return protocol === 'awsJson1_0'
      ? agreementThrottling('Rate exceeded (injected by the marketplace simulator)')
      : throttling();
  }
  return protocol === 'awsJson1_0' ? internalServer() : internalServiceError();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
