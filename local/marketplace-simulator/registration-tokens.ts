import { randomBytes } from 'node:crypto';
import { ServiceError } from './service-error.js';

/** The onboarding guide's 4-hour window (MARKETPLACE.md §1.2); the shorter "about one hour" is not simulated. */
export const REGISTRATION_TOKEN_TTL_MS = 4 * 60 * 60 * 1000;

/** What ResolveCustomer answers for a token: a snapshot taken when the token was minted. */
export interface ResolvedCustomer {
  customerAWSAccountId: string;
  productCode: string;
  licenseArn: string;
  customerIdentifier?: string;
}

interface MintedToken {
  resolved: ResolvedCustomer;
  mintedAtMs: number;
}

/** Opaque registration tokens, as the buyer's browser POSTs them to the fulfillment URL. */
export class RegistrationTokens {
  readonly #tokens = new Map<string, MintedToken>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** 32 random bytes in standard base64, so tokens contain `+`, `/` and `=` like real ones can. */
  mint(resolved: ResolvedCustomer): string {
    const token = randomBytes(32).toString('base64');
    this.#tokens.set(token, { resolved: { ...resolved }, mintedAtMs: this.#now().getTime() });
    return token;
  }

  /** Same answer on every call inside the window; ExpiredTokenException from 4 hours after minting. */
  resolve(token: string): ResolvedCustomer {
    const minted = this.#tokens.get(token);
    if (minted === undefined) {
      throw new ServiceError('InvalidTokenException', 'Registration token is invalid.');
    }
    if (this.#now().getTime() - minted.mintedAtMs >= REGISTRATION_TOKEN_TTL_MS) {
      throw new ServiceError('ExpiredTokenException', 'Registration token has expired.');
    }
    return { ...minted.resolved };
  }
}
