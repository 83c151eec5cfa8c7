import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a PostgreSQL server that cuts a connection the moment the
 * client sends chosen bytes (e.g. the simple-query text `BEGIN`): the statement never
 * reaches the server and the client sees its connection reset while the statement is in
 * flight, as when a server dies mid-request. Real sockets, a real server behind it.
 */
export interface CuttingProxy {
  port: number;
  /** Cuts the next connection whose client sends `text` (as bytes), `times` times. */
  cutOn(text: string, times?: number): void;
  /** How many connections were cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

/**
 * `readPauseMs`: after each chunk the client sends, stop reading from it for this long, so
 * that its socket cannot hand over large writes at once and queues them (a slow network).
 */
export async function startCuttingProxy(targetPort: number, targetHost = '127.0.0.1', options: { readPauseMs?: number } = {}): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  let trigger: { bytes: Buffer; left: number } | null = null;
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const cut = () => {
      cuts++;
      client.resetAndDestroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (trigger && trigger.left > 0 && chunk.includes(trigger.bytes)) {
        trigger.left--;
        cut();
        return;
      }
      upstream.write(chunk);
      if (options.readPauseMs) {
        client.pause();
        setTimeout(() => client.resume(), options.readPauseMs);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cutOn(text, times = 1) {
      trigger = { bytes: Buffer.from(text, 'utf8'), left: times };
    },
    get cuts() {
      return cuts;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
