// A stand-in daemon for the lease tests. argv[2]: the openStore overrides as JSON. Reads
// commands on stdin, one a line: `start` (openStore with the instance lock; answers
// `held <epoch>` or `locked`, or `error <code> <message>`), `stop` (closes the store;
// answers `stopped`).
import { createInterface } from 'node:readline';
import { openStore, type OpenedStore } from '../../src/open-store.js';

const overrides = JSON.parse(process.argv[2]!) as NonNullable<Parameters<typeof openStore>[0]>['overrides'];
let store: OpenedStore | null = null;
const say = (line: string) => process.stdout.write(`${line}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'start') {
    try {
      store = await openStore({ overrides, env: {}, cwd: '/nonexistent' });
      say(`held ${store.lock.epoch}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      say(code === 'TC_INSTANCE_LOCKED' ? 'locked' : `error ${code} ${(error as Error).message}`.replace(/\n/g, ' '));
    }
  } else if (line === 'stop') {
    await store?.close();
    store = null;
    say('stopped');
  }
}
