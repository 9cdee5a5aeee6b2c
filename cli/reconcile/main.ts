import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseDeploymentConfig } from '../../infra/config.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createSweepStore } from '../../lib/adapters/dynamodb/sweep-store.js';
import { createNotifyingContractStore } from '../../lib/adapters/lambda/notifying-contract-store.js';
import { createAgreementReader } from '../../lib/adapters/marketplace/agreement-reader.js';
import { createAgreementClient, createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { createPacer, pacedAgreements, pacedEntitlements } from '../../lib/adapters/marketplace/pacer.js';
import { runSweep, type SweepDeps, type SweepResult } from '../../lib/domain/contract/sweep.js';
import { DEFAULT_PORT_BASE, portsFrom } from '../../local/stack/ports.js';

export const USAGE = `Usage: npm run reconcile -- <backfill|run|continue> [options]

  backfill   the one-time sweep over every agreement (a seller adopting this backend with
             existing customers), then every live contract; safe to repeat
  run        an incremental sweep, as the daily schedule starts it
  continue   go on with an unfinished run, as the 15-minute schedule does

Options:
  --stage <name>   the cdk.json stage whose products to sweep (default dev)
  --table <name>   the contracts table (default: $TABLE_NAME)
  --local          against the local stack (npm start): DynamoDB Local and the simulator
  --rate <n>       marketplace calls per second (default: the stage's sweep.callsPerSecond)

It runs in this process until the sweep is done (no Lambda time limit), holding the same lease
as the scheduled function, so it never overlaps a scheduled run. AWS credentials come from the
usual chain (AWS_PROFILE …) and need the sweep function's permissions.
`;

export interface ReconcileArgs {
  readonly mode: 'backfill' | 'incremental' | 'continue';
  readonly stage: string;
  readonly table?: string;
  readonly local: boolean;
  readonly rate?: number;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseReconcileArgs(argv: readonly string[]): ReconcileArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`Unexpected ${extra.join(' ').slice(0, 80)}`);
  const mode =
    command === 'backfill'
      ? 'backfill'
      : command === 'run'
        ? 'incremental'
        : command === 'continue'
          ? 'continue'
          : undefined;
  if (!mode)
    throw new UsageError(command ? `Unknown command ${command.slice(0, 40)}` : 'A command is needed');
  const rate = parsed.values.rate === undefined ? undefined : Number(parsed.values.rate);
  if (rate !== undefined && !(rate > 0 && rate <= 20))
    throw new UsageError('--rate must be a number in (0, 20]');
  if (parsed.values.stage !== undefined && !/^[A-Za-z0-9-]{1,40}$/.test(parsed.values.stage))
    throw new UsageError('--stage must be a cdk.json stage name');
  return {
    mode,
    stage: parsed.values.stage ?? 'dev',
    ...(parsed.values.table ? { table: parsed.values.table } : {}),
    local: parsed.values.local === true,
    ...(rate === undefined ? {} : { rate }),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      table: { type: 'string' },
      local: { type: 'boolean' },
      rate: { type: 'string' },
    },
  });
}

/** Runs the sweep to its end (paused runs go on at once) and returns every run's result. */
export async function sweepToTheEnd(
  deps: Omit<SweepDeps, 'remainingMs'>,
  mode: ReconcileArgs['mode'],
): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  let next: ReconcileArgs['mode'] = mode;
  for (;;) {
    const result = await runSweep({ ...deps, remainingMs: () => Number.POSITIVE_INFINITY }, { mode: next });
    results.push(result);
    if (result.status !== 'paused') return results;
    next = 'continue';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let args: ReconcileArgs;
  try {
    args = parseReconcileArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const cdk = JSON.parse(readFileSync(`${root}cdk.json`, 'utf8')) as {
    context?: { stages?: Record<string, unknown> };
  };
  const config = parseDeploymentConfig(cdk.context?.stages?.[args.stage], args.stage);
  const ports = portsFrom(Number(process.env.LOCAL_PORT_BASE ?? DEFAULT_PORT_BASE));
  const local = args.local
    ? {
        dynamo: `http://127.0.0.1:${ports.dynamodb}`,
        marketplace: `http://127.0.0.1:${ports.marketplaceApi}`,
      }
    : undefined;
  if (local) {
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    process.env.AWS_REGION = 'us-east-1';
  }
  const tableName = args.table ?? process.env.TABLE_NAME ?? (local ? 'contracts-local' : undefined);
  if (!tableName) {
    process.stderr.write(`--table or TABLE_NAME is needed\n\n${USAGE}`);
    return 2;
  }
  const client = createDocumentClient({ endpoint: local?.dynamo });
  // The over-allocation mail (R9) goes out as from the scheduled function.
  process.env.SENDER_EMAIL ??= config.senderEmail;
  process.env.PRODUCT_NAME ??= config.productName;
  if (local) process.env.SES_ENDPOINT ??= `http://127.0.0.1:${ports.ses}`;
  const pace = createPacer(args.rate ?? config.sweep.callsPerSecond);
  const results = await sweepToTheEnd(
    {
      catalog: { products: config.products },
      contracts: createNotifyingContractStore(
        client,
        tableName,
        new Logger({ serviceName: 'reconcile-cli' }),
      ),
      entitlements: pacedEntitlements(
        createEntitlementReader({ client: createEntitlementClient({ endpoint: local?.marketplace }) }),
        pace,
      ),
      agreements: pacedAgreements(
        createAgreementReader({ client: createAgreementClient({ endpoint: local?.marketplace }) }),
        pace,
      ),
      store: createSweepStore({ client, tableName }),
      clock: { now: () => new Date() },
      newRunId: randomUUID,
    },
    args.mode,
  );
  const last = results.at(-1);
  if (last?.status === 'busy') {
    process.stderr.write('Another sweep run holds the lease (the schedule?): try again when it is done.\n');
    return 1;
  }
  const counts = last?.progress?.counts;
  process.stdout.write(
    `${JSON.stringify({ status: last?.status, runs: results.length, counts, drift: results.reduce((n, r) => n + r.drift, 0), drifted: results.flatMap((r) => r.drifted).slice(0, 100) }, null, 2)}\n`,
  );
  return (counts?.failed ?? 0) > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
