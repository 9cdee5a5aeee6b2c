import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContractRepository } from '../../domain/contract/ports.js';
import { requireEnv } from '../config/environment.js';
import { createContractStore } from '../dynamodb/contract-store.js';
import { createBusinessDirectory } from '../dynamodb/ledger-store.js';
import { createSesClient } from '../email/clients.js';
import { createCreditNotices } from '../email/credit-notices.js';
import { createSesMailer } from '../email/ses-mailer.js';

/**
 * The contract store of a function whose syncs can lower a business's total below its
 * allocations (the consumer, the sweep): the business's primary user is told (R9). Reads
 * SENDER_EMAIL, SES_ENDPOINT and PRODUCT_NAME from the environment infra/functions.ts writes.
 */
export function createNotifyingContractStore(
  client: DynamoDBDocumentClient,
  tableName: string,
  logger: Logger,
): ContractRepository {
  const notices = createCreditNotices({
    businesses: createBusinessDirectory({ client, tableName }),
    mailer: createSesMailer({
      client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
      from: requireEnv('SENDER_EMAIL'),
    }),
    productName: process.env.PRODUCT_NAME ?? 'our product',
    logger,
  });
  return createContractStore({
    client,
    tableName,
    onLedgerTransition: async (ledger, transition) => {
      if (transition === 'became-over-allocated') await notices.overAllocated(ledger);
    },
  });
}
