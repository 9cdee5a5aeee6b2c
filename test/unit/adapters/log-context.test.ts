import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logContext } from '../../../lib/adapters/lambda/log-context.js';
import { lambdaContext } from '../../support/lambda-context.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The JSON lines the logger printed while `run` ran. */
async function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  await run();
  vi.restoreAllMocks();
  return lines
    .flatMap((l) => l.split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A middy chain as the functions build theirs: logContext first, then the handler. */
function chain<E, R>(logger: Logger, handler: (event: E) => Promise<R>) {
  return middy<E, R>().use(logContext(logger)).handler(handler);
}

describe('logContext', () => {
  it('puts the invocation’s request id and function on every log line', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = chain(logger, async (event: { n: number }) => {
      logger.info('handled', { n: event.n });
      return event.n * 2;
    });
    const context = { ...lambdaContext(), awsRequestId: 'req-1' };
    let result: number | undefined;
    const lines = await logLines(async () => {
      result = await handler({ n: 21 }, context);
    });
    expect(result).toBe(42);
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'handled',
        n: 21,
        function_request_id: 'req-1',
        function_name: 'marketplace-events',
      }),
    ]);
  });

  it('resets keys a handler appended once its invocation is over', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = chain(logger, async (event: { buyer?: string }) => {
      if (event.buyer) logger.appendKeys({ buyer: event.buyer });
      logger.info('handled');
    });
    const lines = await logLines(async () => {
      await handler({ buyer: 'b-1' }, lambdaContext());
      await handler({}, { ...lambdaContext(), awsRequestId: 'req-2' });
    });
    expect(lines[0]).toMatchObject({ buyer: 'b-1' });
    expect(lines[1]).toMatchObject({ function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('buyer');
  });

  it('never logs the event, even when POWERTOOLS_LOGGER_LOG_EVENT asks (the setup POST carries a token)', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    vi.unstubAllEnvs();
    const handler = chain(logger, async () => 'ok');
    const lines = await logLines(() => handler({ body: 'x-amzn-marketplace-token=secret' }, lambdaContext()));
    expect(JSON.stringify(lines)).not.toContain('secret');
    expect(lines).toEqual([]);
  });

  it('passes a handler’s error through, and resets its keys all the same', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = chain(logger, async (event: { buyer?: string }) => {
      if (event.buyer) {
        logger.appendKeys({ buyer: event.buyer });
        throw new Error('boom');
      }
      logger.info('handled');
    });
    await expect(handler({ buyer: 'b-1' }, lambdaContext())).rejects.toThrow('boom');
    const lines = await logLines(() => handler({}, lambdaContext()));
    expect(lines[0]).not.toHaveProperty('buyer');
  });
});
