// A stand-in daemon for the file-security tests: argv[2] is the database path, argv[3] the umask
// to run under (octal), argv[4] a secret it stores. Opens the database with openStore (taking
// the instance lock), writes the secret, prints "ready" and waits to be killed. On failure
// it prints the error's code and message as JSON and exits 1. With argv[5] = "forget" (and
// --expose-gc) it keeps no reference to the store and collects garbage before saying "ready".
import { openStore } from '../../src/open-store.js';

const [path, umask, secret] = process.argv.slice(2) as [string, string, string];
process.umask(parseInt(umask, 8));
try {
  const store = await openStore({
    overrides: { engine: 'sqlite', sqlite: { path, checkpointIntervalMs: 0 } },
    env: {},
    cwd: '/nonexistent',
    autoMigrate: true,
  });
  await store.repositories.settings.set('webhook-secret', secret);
  if (process.argv[5] === 'forget') {
    (globalThis as { gc?: () => void }).gc!();
    await new Promise((resolve) => setTimeout(resolve, 100));
    (globalThis as { gc?: () => void }).gc!();
    setInterval(() => {}, 60_000);
  } else {
    setInterval(() => store.lock.held, 60_000);
  }
  process.stdout.write('ready\n');
} catch (error) {
  const e = error as Error & { code?: string; holder?: unknown };
  process.stdout.write(`${JSON.stringify({ code: e.code, message: e.message, holder: e.holder })}\n`);
  process.exit(1);
}
