import type { CodeKind } from '../codes/codes.js';
import type { CodeRecord } from '../codes/records.js';
import type { StoredContract } from '../contract/model.js';
import type { DirectLicense } from '../credits/licenses.js';
import type { Ledger } from '../credits/model.js';
import type { Order } from '../orders/model.js';
import type { ReplacementWrite, TransferWrite } from './model.js';

/** How a write that lost a race ended: nothing was written, read again and decide again. */
export type CommitResult = 'committed' | 'lost-race';

/** What the support operations read and write (lib/adapters/dynamodb/support). Reads are strongly consistent. */
export interface SupportStore {
  contract(contractId: string): Promise<StoredContract | undefined>;
  directLicense(reference: string): Promise<DirectLicense | undefined>;
  order(orderId: string): Promise<Order | undefined>;
  ledger(businessId: string): Promise<Ledger | undefined>;
  code(code: string): Promise<CodeRecord | undefined>;
  /** The transfer as one transaction; `lost-race` when a condition failed or another transaction touched an item. */
  commitTransfer(write: TransferWrite): Promise<CommitResult>;
  /** The replacement as one transaction; `code-taken` when the new code exists already (draw again). */
  commitReplacement(write: ReplacementWrite): Promise<CommitResult | 'code-taken'>;
}

/** Codes as the support operations use them: parsed, drawn, masked (lib/domain/codes). */
export interface CodeBook {
  parse(input: string): { ok: true; kind: CodeKind; code: string } | { ok: false; reason: string };
  /** A fresh code of `kind`, with the same two-letter prefix as `like`. */
  draw(kind: CodeKind, like: string): string;
  mask(code: string): string;
}
