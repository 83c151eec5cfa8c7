// A stand-in daemon for tests: opens the database given as JSON in argv[2], holds the instance lock, waits to be killed.
import { openStore } from '../../src/open-store.js';
import type { ConnectionSpec } from '../contract/engines.js';
import { openOptions } from './open-options.js';

const spec = JSON.parse(process.argv[2]!) as ConnectionSpec;
await openStore(openOptions(spec));
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
