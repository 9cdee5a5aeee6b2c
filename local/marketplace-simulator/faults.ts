export type FaultKind = 'throttle' | 'server-error';

export interface FaultRates {
  /** Share of requests (0..1) answered with 400 ThrottlingException. */
  throttleRate?: number;
  /** Share of requests (0..1) answered with HTTP 500 (InternalServiceErrorException, or InternalServerException for the Agreement API). */
  serverErrorRate?: number;
  /** Operations the rates apply to (e.g. `['GetEntitlements']`); all when absent. */
  operations?: readonly string[];
}

interface ScheduledFault {
  remaining: number;
  kind: FaultKind;
  operation: string | undefined;
}

/** Fault injection: random rates (drawn from the injected `random`) and a deterministic queue. */
export class FaultInjector {
  readonly #random: () => number;
  #rates: Required<Omit<FaultRates, 'operations'>> & { operations: readonly string[] | undefined } = {
    throttleRate: 0,
    serverErrorRate: 0,
    operations: undefined,
  };
  #scheduled: ScheduledFault[] = [];

  constructor(random: () => number) {
    this.#random = random;
  }

  /** Replaces the random fault rates; `setFaults({})` turns them off. */
  set(rates: FaultRates): void {
    const throttleRate = rates.throttleRate ?? 0;
    const serverErrorRate = rates.serverErrorRate ?? 0;
    for (const [name, rate] of [
      ['throttleRate', throttleRate],
      ['serverErrorRate', serverErrorRate],
    ] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be within 0..1, got ${rate}`);
    }
    this.#rates = { throttleRate, serverErrorRate, operations: rates.operations };
  }

  /** The next `count` requests (to `operation`, or to any operation) fail with `kind`, before any random fault. */
  failNext(count: number, kind: FaultKind, operation?: string): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`count must be an integer >= 0, got ${count}`);
    }
    if (count > 0) this.#scheduled.push({ remaining: count, kind, operation });
  }

  /** Turns off the rates and drops scheduled faults. */
  clear(): void {
    this.set({});
    this.#scheduled = [];
  }

  /** The fault to answer this request with, if one applies. One random draw per request. */
  draw(operation: string): FaultKind | undefined {
    const scheduled = this.#scheduled.find((s) => s.operation === undefined || s.operation === operation);
    if (scheduled !== undefined) {
      scheduled.remaining -= 1;
      if (scheduled.remaining === 0) this.#scheduled = this.#scheduled.filter((s) => s !== scheduled);
      return scheduled.kind;
    }
    const { throttleRate, serverErrorRate, operations } = this.#rates;
    if (throttleRate === 0 && serverErrorRate === 0) return undefined;
    if (operations !== undefined && !operations.includes(operation)) return undefined;
    const roll = this.#random();
    if (roll < throttleRate) return 'throttle';
    if (roll < throttleRate + serverErrorRate) return 'server-error';
    return undefined;
  }
}
