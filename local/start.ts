import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NOTIFICATION_MODES, type NotificationMode } from './marketplace-console/notifications.js';
import { DEFAULT_PORT_BASE, PortInUseError, type Ports, portsFrom, SERVICES } from './stack/ports.js';
import type { RunningLocalStack } from './stack/stack.js';

const serviceFlag = (s: string) => `${s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-port`;

const USAGE = `npm start [-- options]: the whole backend on this machine, on 127.0.0.1.

Options:
  --fresh                    Start with empty data (deletes .local/dynamodb and .local/marketplace.json).
  --port-base N              Ports N, N+1, … in this order (default ${DEFAULT_PORT_BASE}; 0 = any free port):
                             ${SERVICES.map((s) => `--${serviceFlag(s)}`).join(', ')}.
  --<service>-port N         One service's port, e.g. --setup-port 4000, --dynamodb-port 8000.
  --notifications sns|eventbridge
                             What the marketplace page selects for new purchases (default eventbridge).
  --visibility-timeout S     Seconds before a failed notification is retried (default 10; deployed: 360).
  --data-dir DIR             Where data is kept across restarts (default .local).
  --stage NAME               The cdk.json stage whose config the functions get (default dev).
  --verbose                  Handler logs at INFO (every sync and page), not only warnings.
  --ready-file FILE          Write the URLs as JSON to FILE once ready (for scripts and tests).
  -h, --help                 This text.`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      fresh: { type: 'boolean', default: false },
      'port-base': { type: 'string' },
      notifications: { type: 'string', default: 'eventbridge' },
      'visibility-timeout': { type: 'string', default: '10' },
      'data-dir': { type: 'string', default: '.local' },
      stage: { type: 'string', default: 'dev' },
      verbose: { type: 'boolean', default: false },
      'ready-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(SERVICES.map((s) => [serviceFlag(s), { type: 'string' as const }])),
    },
    strict: true,
  });
  const port = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= 0 && n <= 65_535)) throw new UsageError(`${what} must be a port 0..65535, got "${text}"`);
    return n;
  };
  const base = port(values['port-base'] as string | undefined, '--port-base') ?? DEFAULT_PORT_BASE;
  if (base + SERVICES.length - 1 > 65_535)
    throw new UsageError(`--port-base ${base} leaves no room for ${SERVICES.length} ports`);
  const ports: Ports = portsFrom(base);
  for (const s of SERVICES) {
    const flag = serviceFlag(s);
    const value = port((values as Record<string, unknown>)[flag] as string | undefined, `--${flag}`);
    if (value !== undefined) ports[s] = value;
  }
  // Two services on one port would half-start the stack: each port is free on its own.
  const taken = SERVICES.map((s) => ports[s]).filter((p) => p !== 0);
  const twice = taken.find((p, i) => taken.indexOf(p) !== i);
  if (twice !== undefined) {
    const services = SERVICES.filter((s) => ports[s] === twice).map((s) => `--${serviceFlag(s)}`);
    throw new UsageError(`Port ${twice} is given to more than one service: ${services.join(', ')}`);
  }
  const notifications = values.notifications as NotificationMode;
  if (!NOTIFICATION_MODES.includes(notifications)) {
    throw new UsageError(`--notifications must be ${NOTIFICATION_MODES.join(' or ')}, got ${notifications}`);
  }
  const visibilityText = values['visibility-timeout'] as string;
  const visibility = /^\d{1,5}$/.test(visibilityText) ? Number(visibilityText) : Number.NaN;
  if (!(visibility >= 0 && visibility <= 43_200)) {
    throw new UsageError('--visibility-timeout must be whole seconds, 0..43200');
  }
  return {
    help: values.help as boolean,
    readyFile: values['ready-file'] as string | undefined,
    options: {
      ports,
      dataDir: values['data-dir'] as string,
      fresh: values.fresh as boolean,
      stage: values.stage as string,
      notifications,
      visibilityTimeoutSeconds: visibility,
      logLevel: values.verbose ? 'INFO' : 'WARN',
    },
  };
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function summary(stack: RunningLocalStack, dataDir: string): string {
  const { urls } = stack;
  const rows: [string, string][] = [
    ['Marketplace (buy, upgrade, renew, cancel)', urls.marketplace],
    ['Setup: the fulfillment URL', `${urls.setup}/`],
    ['Sales view', `${urls.sales}/contracts`],
    ['License API (the product calls it)', `${urls.licenses}/services`],
    ['Product stand-in (activation lands here)', `${urls.product}/`],
    ['Events sent (bus, webhooks, daily notices)', `${urls.events}/`],
    ['Order registration (keys from the marketplace page)', `${urls.setup}/register`],
    ['Support (transfers, codes)', urls.support],
    ['Emails caught by local SES', urls.ses],
    ['Marketplace API simulator', urls.marketplaceApi],
    ['SQS (queue and DLQ)', `${urls.queueUrl}\n${' '.repeat(45)}${urls.deadLetterQueueUrl}`],
    ['DynamoDB Local', `${urls.dynamodb}  (table ${stack.tableName})`],
  ];
  return [
    '',
    `Local stack ready in ${process.uptime().toFixed(1)} s. Data is kept in ${dataDir}/ (\`npm start -- --fresh\` starts clean).`,
    '',
    ...rows.map(([label, url]) => `  ${label.padEnd(43)}${url}`),
    '',
    `  Sales CLI: npm run sales -- contracts --url ${urls.sales}`,
    `  License API CLI: npm run licenses -- services --url ${urls.licenses}`,
    `  Support CLI: npm run support -- code --code PC-… --local`,
    '',
    'Start at the marketplace page. Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Before the SDK loads (stack.ts imports it): on Node 20 it warns at import about Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startLocalStack } = await import('./stack/stack.js');
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  let stack: RunningLocalStack;
  try {
    stack = await startLocalStack({ ...parsed.options, log });
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    process.stderr.write(`The local stack could not start: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
  process.stdout.write(summary(stack, parsed.options.dataDir));
  if (parsed.readyFile) {
    writeFileSync(
      parsed.readyFile,
      JSON.stringify({ ...stack.urls, tableName: stack.tableName, pid: process.pid }),
    );
  }
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  process.stdout.write('\nStopping…\n');
  // A second Ctrl-C while stopping ends the process at once; one that arrives within a second
  // is the same keypress delivered twice (to the process group and relayed by a parent).
  const firstSignalAt = Date.now();
  process.on('SIGINT', () => {
    if (Date.now() - firstSignalAt > 1000) process.exit(130);
  });
  await stack.stop();
  process.stdout.write('Stopped.\n');
  return 0;
}

process.exitCode = await main();
