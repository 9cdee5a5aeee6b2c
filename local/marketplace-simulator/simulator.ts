import { FaultInjector, type FaultKind, type FaultRates } from './faults.js';
import {
  decodeGetEntitlementsInput,
  decodeResolveCustomerInput,
  encodeGetEntitlementsOutput,
  encodeResolveCustomerOutput,
  errorResponse,
  JSON_1_1_CONTENT_TYPE,
  type OperationName,
  operationForTarget,
  parseRequestBody,
  successResponse,
  type WireResponse,
} from './protocol.js';
import { type ListenOptions, listen, type RawRequest, type RunningSimulator } from './server.js';
import { ServiceError } from './service-error.js';
import { MarketplaceState } from './state.js';

export interface MarketplaceSimulatorOptions {
  /** Simulator clock. Default: real time. */
  now?: () => Date;
  /** Source for the random fault rates, in [0, 1). Default: Math.random. */
  random?: () => number;
  /** Larger request bodies get 413. Default 64 KiB. */
  maxBodyBytes?: number;
}

export type StartOptions = Omit<ListenOptions, 'maxBodyBytes'>;

/** One request the simulator answered, for assertions. */
export interface SimulatorCall {
  /** `ResolveCustomer`, `GetEntitlements`, or the raw X-Amz-Target of a request it could not route. */
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
 * What it simulates: the awsJson1_1 wire protocol of `AWSMPMeteringService.ResolveCustomer`
 * and `AWSMPEntitlementService.GetEntitlements` on one HTTP endpoint, so the real SDK v3
 * clients (`MarketplaceMeteringClient`, `MarketplaceEntitlementServiceClient`) work against
 * it through their `endpoint` option: routing on `X-Amz-Target`, epoch-second timestamps,
 * errors as HTTP 400/500 with `x-amzn-ErrorType` and `{"__type", "message"}`. Behind it:
 * licenses with contract dimensions; registration tokens that resolve to the same answer
 * for 4 hours, then `ExpiredTokenException`; `CustomerIdentifier` only for legacy licenses;
 * GetEntitlements filters (union within a key, intersection across keys, CUSTOMER_IDENTIFIER
 * and CUSTOMER_AWS_ACCOUNT_ID mutually exclusive), MaxResults 1..25, opaque signed
 * NextTokens, deterministic order, no rows for expired entitlements; buyer actions
 * (purchase, upgrade, renew, cancel); injected throttling and 5xx; a call log.
 *
 * What it deliberately does not do: check SigV4 signatures or credentials (any
 * Authorization header is accepted); check the region, or that the caller is the seller
 * account that owns the product; simulate the metering operations (MeterUsage,
 * BatchMeterUsage, RegisterUsage), DisabledApiException, or the "about one hour" token
 * lifetime some docs mention; enforce request quotas (throttling happens only when
 * injected); return non-integer entitlement values (DoubleValue, BooleanValue,
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

  constructor(options: MarketplaceSimulatorOptions = {}) {
    super(options.now === undefined ? {} : { now: options.now });
    this.#faults = new FaultInjector(options.random ?? Math.random);
    this.#maxBodyBytes = options.maxBodyBytes;
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
      const contentType = headerValue(request.headers['content-type']) ?? '';
      if (contentType.split(';')[0]?.trim().toLowerCase() !== JSON_1_1_CONTENT_TYPE) {
        throw new ServiceError('SerializationException', `Content-Type must be ${JSON_1_1_CONTENT_TYPE}.`);
      }
      const input = parseRequestBody(request.body);
      call.input = input;
      const fault = this.#faults.draw(operation);
      if (fault !== undefined) throw fault;
      const output =
        operation === 'ResolveCustomer'
          ? encodeResolveCustomerOutput(this.resolveCustomer(decodeResolveCustomerInput(input)))
          : encodeGetEntitlementsOutput(this.getEntitlements(decodeGetEntitlementsInput(input)));
      return successResponse(output);
    } catch (caught) {
      const error =
        caught instanceof ServiceError
          ? caught
          : new ServiceError(
              'InternalServiceErrorException',
              `Marketplace simulator failure: ${String(caught)}`,
              500,
            );
      call.outcome = error.errorType;
      return errorResponse(error, error.statusCode === 405 ? { allow: 'POST' } : {});
    }
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
