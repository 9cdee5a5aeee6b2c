import { createServer } from 'node:net';

/** The local stack's listeners, in the order the summary prints them. */
export const SERVICES = [
  'marketplace',
  'setup',
  'sales',
  'ses',
  'marketplaceApi',
  'sqs',
  'dynamodb',
  'licenses',
  'product',
  'events',
  'support',
] as const;
export type Service = (typeof SERVICES)[number];
export type Ports = Record<Service, number>;

export const SERVICE_LABELS: Readonly<Record<Service, string>> = {
  marketplace: 'marketplace page',
  setup: 'setup function URL',
  sales: 'sales function URL',
  ses: 'local SES',
  marketplaceApi: 'marketplace API simulator',
  sqs: 'local SQS',
  dynamodb: 'DynamoDB Local',
  licenses: 'license API function URL',
  product: 'product stand-in',
  events: 'event console (bus, webhooks)',
  support: 'support function URL',
};

export const DEFAULT_PORT_BASE = 3000;

/** Consecutive ports from `base`, in SERVICES order; base 0 lets every service pick a free port. */
export function portsFrom(base: number): Ports {
  return Object.fromEntries(SERVICES.map((s, i) => [s, base === 0 ? 0 : base + i])) as Ports;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/**
 * Checks every fixed port before anything starts, so a busy port gives one clear message and
 * nothing half-started to clean up.
 */
export async function assertPortsFree(host: string, ports: Ports): Promise<void> {
  const busy: string[] = [];
  for (const service of SERVICES) {
    const port = ports[service];
    if (port !== 0 && !(await isFree(host, port))) busy.push(`${port} (${SERVICE_LABELS[service]})`);
  }
  if (busy.length > 0) {
    throw new PortInUseError(
      `Port${busy.length > 1 ? 's' : ''} in use on ${host}: ${busy.join(', ')}. ` +
        'Stop what is using them (an earlier `npm start`?), or pick other ports: ' +
        '`npm start -- --port-base 4000`, or one at a time, e.g. `--setup-port 4000`.',
    );
  }
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
