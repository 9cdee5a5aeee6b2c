import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesLocalModule from 'aws-ses-v2-local';

/** A mail SES accepted, as the local SES stand-in keeps it. */
export interface CaughtEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
  readonly at: number;
}

export interface RunningSesLocal {
  readonly endpoint: string;
  /** Every mail caught so far, read over HTTP (`GET /store`) as a person's browser would. */
  emails(): Promise<CaughtEmail[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

// The package is CommonJS with a default export (TOOLCHAIN.md).
type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;
const imported = sesLocalModule as unknown as { default: StartServer | { default: StartServer } };
const startServer: StartServer =
  typeof imported.default === 'function' ? imported.default : imported.default.default;

/**
 * Starts aws-ses-v2-local, which accepts SES v1/v2 sends and keeps them in memory. One per
 * process: the package keeps its store in a module-level singleton.
 */
export async function startSesLocal({ host = '127.0.0.1', port = 0 } = {}): Promise<RunningSesLocal> {
  const server = await startServer({ host, port });
  const address = server.address() as AddressInfo;
  const endpoint = `http://${host}:${address.port}`;
  return {
    endpoint,
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      const store = (await response.json()) as { emails: CaughtEmail[] };
      return store.emails;
    },
    async clear() {
      await fetch(`${endpoint}/clear-store`, { method: 'POST' });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      }),
  };
}
