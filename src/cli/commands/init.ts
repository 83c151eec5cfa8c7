import { withStore, type Command } from '../command.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create the database (file or schema) and apply every migration',
  options: {},
  help: `Creates the configured database if it does not exist yet (SQLite: the file and its
directory; PostgreSQL: the schema, in a database that must exist) and migrates it to
this build's newest migration. Running it again on a current database changes nothing.
Refuses a database that is newer than this build.`,
  examples: [
    'teleclaude-db init',
    'TELECLAUDE_DB_PATH=/srv/teleclaude/teleclaude.db teleclaude-db init',
    'DATABASE_URL=postgresql://tc@db/teleclaude teleclaude-db init',
  ],
  async run(values, _positionals, io) {
    return withStore(values, io, async (store) => {
      const applied = await store.migrator.up();
      const state = await store.migrator.state();
      const at = state.applied.at(-1)?.name ?? '(none)';
      io.out(
        applied.length
          ? `initialised ${store.engine} database ${store.location}: applied ${applied.join(', ')}`
          : `${store.location} is already initialised and current (at ${at})`,
      );
      return 0;
    }, { create: true });
  },
};
