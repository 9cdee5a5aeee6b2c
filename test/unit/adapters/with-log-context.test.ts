import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withLogContext } from '../../../lib/adapters/lambda/with-log-context.js';
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

describe('withLogContext', () => {
  it('puts the invocation’s request id and function on every log line, as injectLambdaContext does', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = withLogContext(logger, async (event: { n: number }) => {
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

  it('passes a handler’s error through after clearing the invocation’s state', async () => {
    const logger = new Logger({ serviceName: 'test' });
    const handler = withLogContext(logger, async () => {
      throw new Error('boom');
    });
    await expect(handler({}, lambdaContext())).rejects.toThrow('boom');
  });
});
