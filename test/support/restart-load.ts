// The load of the restart test, in a process of its own so that a crash (an unhandled 'error'
// event, an unhandled rejection) is observed as an exit code, not absorbed by the test runner.
// argv[2]: the database URL. Opens the store with openStore (instance lock taken) and runs, until
// a line `stop` arrives on stdin: transactions writing a session and a setting, hook events
// enqueued, two claimers claiming and delivering them, and re-acquisition of a lost lock.
// Reports on stdout, one line each, only after the store acknowledged the work:
//   ack-session <id> | ack-event <id> | delivered <id> | lost <signal aborted> | locked | fail <code> | unexpected <text>
import { createInterface } from 'node:readline';
import { openStore } from '../../src/open-store.js';

const url = process.argv[2]!;
const say = (line: string) => process.stdout.write(`${line}\n`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stopping = false;

/** Failures the restarts may cause are TC_UNAVAILABLE; anything else is reported as unexpected. */
function failed(error: unknown): Promise<unknown> {
  const code = (error as { code?: string }).code;
  if (code === 'TC_UNAVAILABLE') say(`fail ${code}`);
  else say(`unexpected ${(error as Error).name} ${code ?? ''} ${(error as Error).message}`.replace(/\n/g, ' '));
  return pause(50);
}

const store = await openStore({
  overrides: { engine: 'postgresql', postgresql: { url, connectTimeoutMs: 2000, pool: { max: 6 } } },
  env: {},
  cwd: '/nonexistent',
  autoMigrate: true,
});
say('locked');

let relocking = false;
store.lock.onLost(() => {
  say(`lost ${store.lock.signal.aborted}`);
  if (relocking) return;
  relocking = true;
  void (async () => {
    while (!stopping) {
      try {
        await store.lock.acquire();
        say('locked');
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'TC_UNAVAILABLE') say(`unexpected lock ${(error as Error).message}`);
        await pause(100);
      }
    }
    relocking = false;
  })();
});

const sessions: string[] = [];

async function writer(n: number): Promise<void> {
  for (let i = 0; !stopping; i++) {
    try {
      const id = await store.transaction(async (tx) => {
        const session = await tx.sessions.create({ computerName: `restart-${n}`, title: `writer ${n} write ${i}` });
        await tx.settings.set(`restart:${session.id}`, session.id);
        return session.id;
      });
      sessions.push(id);
      say(`ack-session ${id}`);
    } catch (error) {
      await failed(error);
    }
  }
}

async function enqueuer(): Promise<void> {
  while (!stopping) {
    const sessionId = sessions[sessions.length - 1];
    if (!sessionId) {
      await pause(20);
      continue;
    }
    try {
      const id = await store.repositories.hookOutbox.enqueue({ sessionId, eventType: 'restart', payload: { at: Date.now() } });
      say(`ack-event ${id}`);
    } catch (error) {
      await failed(error);
    }
    await pause(5);
  }
}

async function claimer(): Promise<void> {
  while (!stopping) {
    try {
      // A short lock TTL: events claimed by a call whose answer a restart cut are claimed again.
      const events = await store.repositories.hookOutbox.claimBatch({ limit: 5, lockTtlMs: 2000 });
      for (const event of events) {
        await store.repositories.hookOutbox.markDelivered(event.id, event.claimToken);
        say(`delivered ${event.id}`);
      }
      if (events.length === 0) await pause(20);
    } catch (error) {
      await failed(error);
    }
  }
}

const stopped = new Promise<void>((resolve) => {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'stop') resolve();
  });
});
const work = Promise.all([writer(1), writer(2), writer(3), enqueuer(), claimer(), claimer()]);
await stopped;
stopping = true;
await work;
await store.close();
// A crash must be visible: nothing in the package may swallow errors process-wide.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  if (process.listenerCount(event) > 0) say(`unexpected ${process.listenerCount(event)} ${event} listener(s) installed`);
}
process.stdin.destroy();
say('closed');
