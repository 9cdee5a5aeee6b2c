import { pathToFileURL } from 'node:url';
import { sanitize } from './sales/format.js';
import type { CliIo } from './sales/main.js';

export type Command = (args: readonly string[], io: CliIo) => Promise<number>;

export interface CliDefinition {
  readonly usage: string;
  readonly commands: Readonly<Record<string, Command>>;
  /** The exit code for an error a command threw, after saying what happened. */
  report(error: unknown, io: CliIo): number;
}

/**
 * One CLI invocation in-process, as both CLIs run it: help, the command by name (own
 * properties only), its errors through `report`. Resolves to the exit code: 0 success,
 * 1 failure, 2 usage error.
 */
export async function dispatch(cli: CliDefinition, argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(cli.usage);
    return 0;
  }
  const handler = Object.hasOwn(cli.commands, command) ? cli.commands[command] : undefined;
  if (!handler) {
    io.stderr.write(`Unknown command: ${sanitize(command)}\n\n${cli.usage}`);
    return 2;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    return cli.report(error, io);
  }
}

/** Runs `run` with the process's arguments and streams when `moduleUrl` is the entry point; Ctrl-C aborts it. */
export async function runIfMain(
  moduleUrl: string,
  run: (argv: readonly string[], io: CliIo) => Promise<number>,
): Promise<void> {
  const entry = process.argv[1];
  if (entry === undefined || moduleUrl !== pathToFileURL(entry).href) return;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}
