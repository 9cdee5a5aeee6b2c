import type {
  ExpiringLicense,
  ExpiryNotice,
  ExpiryNoticeDeps,
  NoticeClaims,
} from '../../../lib/domain/notices/ports.js';
import type { Business } from '../../../lib/domain/setup/model.js';
import type { EmailMessage, Mailer } from '../../../lib/domain/setup/ports.js';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const CONSOLE_URL = 'https://console.acme.example/licenses';

export function aBusiness(overrides: Partial<Business> = {}): Business {
  return {
    businessId: 'biz-AAAAAAAAAAAAAAAAAAAA',
    name: 'Example Corp',
    country: 'US',
    dataCenterRegion: 'us',
    timeZone: 'UTC',
    primaryEmail: 'owner@example.com',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function aLicense(overrides: Partial<ExpiringLicense> = {}): ExpiringLicense {
  return {
    kind: 'contract',
    licenseKey: 'contract-0001',
    productCode: 'a1b2c3d4e5credits0example',
    businessId: 'biz-AAAAAAAAAAAAAAAAAAAA',
    credits: 5000,
    expiresAt: '2027-01-15T12:00:00.000Z',
    autoRenew: false,
    ...overrides,
  };
}

/** The expiry index: lists what expires in [from, to), as the adapter's range read does. */
export class FakeLicenses {
  readonly reads: { from: Date; to: Date }[] = [];
  constructor(public items: ExpiringLicense[]) {}
  async *list(from: Date, to: Date): AsyncIterable<ExpiringLicense> {
    this.reads.push({ from, to });
    for (const item of this.items) {
      await Promise.resolve();
      const at = Date.parse(item.expiresAt);
      if (at >= from.getTime() && at < to.getTime()) yield item;
    }
  }
}

export class FakeBusinesses {
  reads = 0;
  readonly byId: Map<string, Business>;
  constructor(businesses: readonly Business[]) {
    this.byId = new Map(businesses.map((b) => [b.businessId, b]));
  }
  async get(businessId: string): Promise<Business | undefined> {
    this.reads += 1;
    await Promise.resolve();
    return this.byId.get(businessId);
  }
}

export const claimKey = (n: Pick<ExpiryNotice, 'licenseKey' | 'expiresAt' | 'threshold'>) =>
  `${n.licenseKey}|${n.expiresAt}|${n.threshold}`;

/**
 * The claims table: a conditional put per key (licenseKey + expiresAt + threshold). The yield
 * before the check-and-set lets overlapping runs interleave; the check-and-set itself is atomic,
 * as a conditional write is.
 */
export class FakeClaims implements NoticeClaims {
  readonly state = new Map<string, 'sending' | 'sent'>();
  readonly released: ExpiryNotice[] = [];
  active = 0;
  maxActive = 0;
  failClaim?: (n: ExpiryNotice) => boolean;
  failSent?: (n: ExpiryNotice) => boolean;

  async claim(notice: ExpiryNotice): Promise<boolean> {
    await Promise.resolve();
    if (this.failClaim?.(notice)) throw new Error('ProvisionedThroughputExceededException');
    const key = claimKey(notice);
    if (this.state.has(key)) return false;
    this.state.set(key, 'sending');
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    return true;
  }
  async sent(notice: ExpiryNotice): Promise<void> {
    await Promise.resolve();
    this.active -= 1;
    if (this.failSent?.(notice)) throw new Error('InternalServerError');
    this.state.set(claimKey(notice), 'sent');
  }
  async release(notice: ExpiryNotice): Promise<void> {
    await Promise.resolve();
    this.active -= 1;
    this.released.push(notice);
    this.state.delete(claimKey(notice));
  }
}

/** Records mail; each send takes a turn of the event loop, so sends overlap as SES calls do. */
export class FakeMailer implements Mailer {
  readonly sent: EmailMessage[] = [];
  inFlight = 0;
  maxInFlight = 0;
  fail?: (m: EmailMessage) => boolean;

  async send(message: EmailMessage): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.fail?.(message)) throw new Error('Throttling: Maximum sending rate exceeded.');
      this.sent.push(message);
    } finally {
      this.inFlight -= 1;
    }
  }
}

export class FakeLog {
  readonly warnings: { message: string; data: Record<string, unknown> | undefined }[] = [];
  warn(message: string, data?: Record<string, unknown>): void {
    this.warnings.push({ message, data });
  }
}

export interface World {
  readonly licenses: FakeLicenses;
  readonly businesses: FakeBusinesses;
  readonly claims: FakeClaims;
  readonly mailer: FakeMailer;
  readonly log: FakeLog;
  readonly deps: ExpiryNoticeDeps;
}

export function world(licenses: ExpiringLicense[], businesses: readonly Business[] = [aBusiness()]): World {
  const w = {
    licenses: new FakeLicenses(licenses),
    businesses: new FakeBusinesses(businesses),
    claims: new FakeClaims(),
    mailer: new FakeMailer(),
    log: new FakeLog(),
  };
  return {
    ...w,
    deps: {
      ...w,
      productName: (code) => (code === 'a1b2c3d4e5credits0example' ? 'Acme Credits' : code),
      consoleUrl: CONSOLE_URL,
    },
  };
}
