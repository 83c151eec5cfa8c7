import { createHash } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryEncoder, CopyDataWriter, encodeBinaryBatch, encodeBinaryRows, BinaryWriter, type BinaryEncode } from '../../../src/adapters/postgres/postgres-copy-binary.js';
import { CopyIn } from '../../../src/adapters/postgres/postgres-copy-in.js';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { startCuttingProxy } from '../../support/cutting-proxy.js';
import { createPgDatabase } from '../../support/databases.js';

/** Rows whose every byte depends on its id, about 3 KB each: a reused buffer would show as wrong text. */
function rowsOf(count: number, batch: number): unknown[][][] {
  const batches: unknown[][][] = [];
  for (let start = 0; start < count; start += batch) {
    const rows: unknown[][] = [];
    for (let id = start; id < Math.min(count, start + batch); id++) rows.push([id, `${id}:`.padEnd(3000, String.fromCharCode(97 + (id % 26)))]);
    batches.push(rows);
  }
  return batches;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('PostgreSQL bulk load: CopyData messages', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  beforeAll(async () => {
    db = await createPgDatabase('tc_copy_messages');
    const store = new PostgresStore({ url: db.url }, 'x');
    await store.database.query('CREATE TABLE blobs (id integer PRIMARY KEY, t text NOT NULL)');
    await store.close();
  });
  afterAll(() => db?.drop());

  for (const [name, slow] of [
    ['straight to the server', false],
    ['through a socket that takes them slowly', true],
  ] as const) {
    it(`30 MB in messages of about 1 MB, ${name}, arrive byte for byte`, async () => {
      // The proxy reads what the client sends slowly (a chunk, then a pause), so the client's
      // socket queues CopyData messages: the loader must not write into a queued one's buffer.
      const proxy = slow ? await startCuttingProxy(Number(new URL(db.url).port || 5432), '127.0.0.1', { readPauseMs: 2 }) : null;
      const url = new URL(db.url);
      if (proxy) url.port = String(proxy.port);
      const store = new PostgresStore({ url: url.toString() }, 'x');
      try {
        const batches = rowsOf(10_000, 700);
        expect(await store.bulk.load('blobs', ['id', 't'], batches, { replace: true })).toBe(10_000);
        const expected = md5(batches.flat().map((r) => `${r[0] as number}|${r[1] as string}`).join('\n'));
        const { rows } = await store.database.query<{ n: number; sum: string }>(
          `SELECT count(*)::int AS n, md5(string_agg(id || '|' || t, E'\\n' ORDER BY id)) AS sum FROM blobs`,
        );
        expect(rows[0]).toEqual({ n: 10_000, sum: expected });
      } finally {
        await store.close();
        await proxy?.close();
      }
    });
  }

  it('a message the socket has queued is never written into again, whatever the socket\'s back-pressure threshold', async () => {
    // A socket whose high-water mark is above a message's size reports no back-pressure
    // while a message is still queued: the next rows must go into another buffer. The
    // receiving end reads slowly and keeps every byte, to be decoded here.
    const received: Buffer[] = [];
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ended = new Promise<void>((resolve) => server.on('connection', (s: Socket) => s.on('end', resolve)));
    const stream = new Socket({ writableHighWaterMark: 64 * 1024 * 1024 } as ConstructorParameters<typeof Socket>[0]);
    await new Promise<void>((resolve) => stream.connect((server.address() as { port: number }).port, '127.0.0.1', resolve));
    const encoders = [binaryEncoder('integer', 'blobs.id'), binaryEncoder('text', 'blobs.t')] as BinaryEncode[];
    const batches = rowsOf(6000, 1500);
    const out = new CopyDataWriter();
    async function* chunks() {
      for (const batch of batches) yield* encodeBinaryRows(batch, encoders, out);
    }
    let queued = 0;
    const copy = new CopyIn('COPY blobs FROM STDIN', chunks());
    copy.handleCopyInResponse({
      query: () => {},
      sendCopyFromChunk: () => {
        throw new Error('every piece is a whole CopyData message here');
      },
      endCopyFrom: () => stream.end(),
      sendCopyFail: (message: string) => stream.destroy(new Error(message)),
      get stream() {
        if (stream.writableLength > 0) queued++;
        return stream;
      },
    } as unknown as Parameters<CopyIn['handleCopyInResponse']>[0]);
    await ended;
    server.close();
    // Decode the messages: 'd', a length counting itself, then the data.
    const bytes = Buffer.concat(received);
    const data: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      expect(bytes[at], `message type at ${at}`).toBe(0x64);
      const length = bytes.readInt32BE(at + 1);
      data.push(bytes.subarray(at + 5, at + 1 + length));
      at += 1 + length;
    }
    expect(queued, 'the socket queued some messages (else this test checks nothing)').toBeGreaterThan(0);
    const expected = Buffer.concat(batches.map((batch) => encodeBinaryBatch(batch, encoders, new BinaryWriter(1024))));
    expect(Buffer.concat(data).equals(expected)).toBe(true);
  });
});
