import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { isRunning } from '../support/process.js';

const MODULE_PATH = fileURLToPath(new URL('../../local/dynamodb-local.ts', import.meta.url));
const LAUNCHER_DIR = fileURLToPath(new URL('../../local/dynamodb-local-launcher/', import.meta.url));

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

/** Local addresses in LISTEN state for `port`, from /proc/net/tcp and /proc/net/tcp6. */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || local === undefined) continue;
      const [hexAddress = '', hexPort = ''] = local.split(':');
      if (Number.parseInt(hexPort, 16) === port) found.push(decodeProcAddress(hexAddress));
    }
  }
  return found;
}

/** /proc/net/tcp* print addresses as 32-bit words in host (little-endian) byte order. */
function decodeProcAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => [...Buffer.from(word, 'hex').reverse()]);
  if (bytes.length === 4) return bytes.join('.');
  const mappedV4 = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mappedV4) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** 'connected' or the error code (ECONNREFUSED …) of a TCP connect. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolveOutcome) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolveOutcome('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolveOutcome('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolveOutcome(error.code ?? error.message));
  });
}

/** The machine's addresses that are not loopback (IPv6 link-local ones need a scope; skipped). */
function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !(entry.family === 'IPv6' && entry.address.startsWith('fe80:')))
    .map((entry) => entry.address);
}

/** Running and not a zombie (an orphan's zombie may linger when PID 1 does not reap). */
async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe('DynamoDB Local from the integration globalSetup', () => {
  const client = clientFor(inject('dynamoEndpoint'));
  const tableName = `harness-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await createTable(client, tableName);
  });

  afterAll(() => {
    client.destroy();
  });

  it('is served on a loopback endpoint', () => {
    expect(inject('dynamoEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(inject('dynamoEndpoint')).port);
    expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
  });

  it('returns the item it stored when GetItem follows PutItem', async () => {
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'a' }, credits: { N: '10' } } }),
    );

    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'a' } }, ConsistentRead: true }),
    );

    expect(Item).toEqual({ pk: { S: 'a' }, credits: { N: '10' } });
  });

  it('rejects a put with ConditionalCheckFailedException when its condition fails', async () => {
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'b' }, version: { N: '1' } } }),
    );

    const put = client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'b' }, version: { N: '2' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );

    const error = await put.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toEqual({ pk: { S: 'b' }, version: { N: '1' } });
  });

  it('cancels a transaction with TransactionCanceledException and applies none of it when one condition fails', async () => {
    await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'c' } } }));

    const transaction = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { pk: { S: 'c' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: tableName, Item: { pk: { S: 'd' } } } },
        ],
      }),
    );

    const error = await transaction.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'ConditionalCheckFailed',
      'None',
    ]);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'd' } }, ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });
});

describe('startDynamoDbLocal', () => {
  it('listens on 127.0.0.1 only, and closes the port and ends java when stopped', async () => {
    const dynamo = await startDynamoDbLocal({});
    let stopped = false;
    try {
      expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
      expect(listeningAddresses(dynamo.port)).toEqual(['127.0.0.1']);
      expect(await tryConnect('127.0.0.1', dynamo.port)).toBe('connected');
      expect(await tryConnect('::1', dynamo.port)).not.toBe('connected');
      for (const address of nonLoopbackAddresses()) {
        expect({ address, outcome: await tryConnect(address, dynamo.port) }).toEqual({
          address,
          outcome: 'ECONNREFUSED',
        });
      }

      await dynamo.stop();
      stopped = true;

      expect(isRunning(dynamo.pid)).toBe(false);
      expect(listeningAddresses(dynamo.port)).toEqual([]);
      expect(await tryConnect('127.0.0.1', dynamo.port)).toBe('ECONNREFUSED');
      await dynamo.stop(); // idempotent
    } finally {
      if (!stopped) await dynamo.stop();
    }
  });

  it('keeps tables across restarts when given a dbPath that does not exist yet', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
    const dbPath = join(root, 'nested', 'db');
    const tableName = 'persisted';
    let dynamo: DynamoDbLocal | undefined;
    try {
      dynamo = await startDynamoDbLocal({ inMemory: false, dbPath });
      const first = clientFor(dynamo.endpoint);
      await createTable(first, tableName);
      await first.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'kept' } } }));
      first.destroy();
      await dynamo.stop();

      dynamo = await startDynamoDbLocal({ inMemory: false, dbPath });
      const second = clientFor(dynamo.endpoint);
      const { Item } = await second.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'kept' } }, ConsistentRead: true }),
      );
      second.destroy();

      expect(Item).toEqual({ pk: { S: 'kept' } });
    } finally {
      await dynamo?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails with a message naming the package to install when java is missing', async () => {
    await expect(startDynamoDbLocal({ javaPath: '/nonexistent/bin/java' })).rejects.toThrow(
      /openjdk-17-jre-headless/,
    );
  });

  it('fails with the java output when a fixed port is taken', async () => {
    const holder = await startDynamoDbLocal({});
    try {
      await expect(startDynamoDbLocal({ port: holder.port })).rejects.toThrow(
        new RegExp(`could not listen on 127\\.0\\.0\\.1:${holder.port}: port in use[\\s\\S]*java stderr`),
      );
    } finally {
      await holder.stop();
    }
  });

  it('leaves no java process behind when the Node process that started it is killed with SIGKILL', async () => {
    // A separate Node process starts DynamoDB Local, reports the java pid, and is then SIGKILLed,
    // so neither stop() nor any 'exit' handler can run: only the launcher's stdin watch remains.
    const script = [
      'const { startDynamoDbLocal } = await import(process.argv[1]);',
      'const dynamo = await startDynamoDbLocal({});',
      'console.log(JSON.stringify({ pid: dynamo.pid }));',
    ].join('\n');
    const parent: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, MODULE_PATH],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const javaPid = await new Promise<number>((resolvePid, reject) => {
        let out = '';
        parent.stdout?.setEncoding('utf8');
        parent.stdout?.on('data', (chunk: string) => {
          out += chunk;
          const match = /\{"pid":(\d+)\}/.exec(out);
          if (match?.[1]) resolvePid(Number(match[1]));
        });
        parent.once('exit', (code) => reject(new Error(`parent exited early (${code}): ${out}`)));
      });
      expect(isRunning(javaPid)).toBe(true);

      parent.kill('SIGKILL');

      expect(await waitUntil(() => !isRunning(javaPid), 10_000)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('the committed DynamoDB Local launcher', () => {
  const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
  const recorded = new Map(
    readFileSync(join(LAUNCHER_DIR, 'LoopbackDynamoDbLocal.sha256'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [hash = '', name = ''] = line.split(/\s+\*?/);
        return [name, hash] as const;
      }),
  );

  it('matches the checksums recorded by build.sh, so the class was rebuilt after the source changed', () => {
    const rebuild = 'source or class changed without a rebuild: run local/dynamodb-local-launcher/build.sh';
    expect(sha256(join(LAUNCHER_DIR, 'LoopbackDynamoDbLocal.java')), rebuild).toBe(
      recorded.get('LoopbackDynamoDbLocal.java'),
    );
    expect(sha256(join(LAUNCHER_DIR, 'LoopbackDynamoDbLocal.class')), rebuild).toBe(
      recorded.get('LoopbackDynamoDbLocal.class'),
    );
  });

  it('is a Java 17 class file, so a Java 17 JRE can run it', () => {
    const classFile = readFileSync(join(LAUNCHER_DIR, 'LoopbackDynamoDbLocal.class'));
    expect(classFile.readUInt32BE(0)).toBe(0xcafebabe);
    expect(classFile.readUInt16BE(6)).toBe(61);
  });

  it('compiles from its source to the committed class when a JDK is available', (context) => {
    const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
    if (javac.error) {
      context.skip('javac not installed (JRE only): the recorded checksums above still vouch for the class');
    }
    const out = mkdtempSync(join(tmpdir(), 'launcher-'));
    try {
      const build = spawnSync('sh', [join(LAUNCHER_DIR, 'build.sh'), out], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const fresh = readFileSync(join(out, 'LoopbackDynamoDbLocal.class'));
      const committed = readFileSync(join(LAUNCHER_DIR, 'LoopbackDynamoDbLocal.class'));
      if (fresh.equals(committed)) return;
      // Another javac release orders the constant pool and branches differently; the names,
      // descriptors and string literals it holds must still be the same.
      expect(constantPoolStrings(fresh)).toEqual(constantPoolStrings(committed));
      expect(fresh.readUInt16BE(6)).toBe(committed.readUInt16BE(6));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** The sorted CONSTANT_Utf8 entries of a class file (JVMS §4.4). */
function constantPoolStrings(classFile: Buffer): string[] {
  const sizes: Record<number, number> = { 3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4 };
  Object.assign(sizes, { 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2 });
  const strings: string[] = [];
  const count = classFile.readUInt16BE(8);
  let offset = 10;
  for (let index = 1; index < count; index++) {
    const tag = classFile.readUInt8(offset);
    if (tag === 1) {
      const length = classFile.readUInt16BE(offset + 1);
      strings.push(classFile.subarray(offset + 3, offset + 3 + length).toString('utf8'));
      offset += 3 + length;
      continue;
    }
    const size = sizes[tag];
    if (size === undefined) throw new Error(`unknown constant pool tag ${tag} at ${offset}`);
    offset += 1 + size;
    if (tag === 5 || tag === 6) index++; // long and double take two slots
  }
  return strings.sort();
}
