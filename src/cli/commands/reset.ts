import { createInstanceLock } from '../../container.js';
import { refuseUnfinishedCopy } from '../../open-store.js';
import { configOf, openConfigured, type Command } from '../command.js';

export const resetCommand: Command = {
  name: 'reset',
  summary: 'drop everything the migrations created, schema_migrations included (needs --yes)',
  options: {
    yes: { type: 'boolean', description: 'really drop everything' },
  },
  help: `Reverts every applied migration, newest first, and drops schema_migrations: every
table of TeleClaude and all its data are gone. Tables of other applications in the same
schema are left alone. Refuses without --yes, while a daemon holds the instance lock
(the lock is held during the reset, so no daemon can start meanwhile), and for a
database newer than this build.`,
  examples: [
    'teleclaude-db reset --yes',
    'teleclaude-db reset --yes && teleclaude-db init && teleclaude-db seed --sessions 1000',
  ],
  async run(values, _positionals, io) {
    if (values.yes !== true) throw new Error('refusing to drop every table without --yes');
    const config = configOf(values, io);
    // Opened first: a file it refuses (the older daemon's) gets no lock file beside it, and
    // a missing one is refused, not created.
    const store = openConfigured(values, io);
    const lock = createInstanceLock(config);
    try {
      await lock.acquire();
      try {
        await refuseUnfinishedCopy(store);
        const reverted = await store.migrator.reset();
        io.out(`reset ${store.location}: reverted ${reverted.length ? reverted.join(', ') : 'nothing'}; schema_migrations dropped`);
      } finally {
        await lock.release();
      }
    } finally {
      await store.close();
    }
    return 0;
  },
};
