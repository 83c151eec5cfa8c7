import { withStore, type Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending migrations (creates the database if needed)',
  options: {
    to: { type: 'string', value: 'NAME', description: 'stop after this migration' },
    'accept-changed': {
      type: 'string',
      value: 'NAME[,NAME]',
      description: 'record the current checksum of these applied migrations that were edited since (after checking the database matches them)',
    },
    'dry-run': { type: 'boolean', description: 'print the SQL the pending migrations would run; write nothing' },
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Applies every pending migration, or those up to and including --to. Safe to run from
several processes at once: a migration lock makes each migration apply exactly once.
Each applied migration's checksum (sha256 of what it ran) is recorded; a database whose
recorded checksum differs from this build's migration (it was edited after being applied)
is refused, naming it, until --accept-changed NAME records the new one.
With --dry-run, prints the SQL each pending migration would run on this database's
engine (code migrations show their SQL with <placeholders> for what they decide when
they run) and changes nothing: the database must exist, and no lock is taken.`,
  examples: [
    'teleclaude-db migrate',
    'DATABASE_URL=postgresql://tc@db/teleclaude teleclaude-db migrate',
    'teleclaude-db migrate --to 001_foundation',
    'teleclaude-db migrate --accept-changed 003_domain_rest',
    'teleclaude-db migrate --dry-run > pending.sql',
  ],
  async run(values, _positionals, io) {
    const accepted = values['accept-changed'] as string | undefined;
    const acceptChanged = accepted?.split(',').map((n) => n.trim()).filter(Boolean);
    const to = values.to as string | undefined;
    if (values['dry-run'] === true) {
      return withStore(values, io, async (store) => {
        const planned = await store.migrator.plan({ to, acceptChanged });
        if (values.json) io.out(JSON.stringify({ engine: store.engine, location: store.location, dryRun: true, pending: planned }, null, 2));
        else {
          io.out(`-- dry run on ${store.engine} ${store.location}: ${planned.length} migration(s) would be applied; nothing was changed`);
          for (const m of planned) {
            io.out(`\n-- migration ${m.name}${m.code ? ' (code; <placeholders> are decided when it runs)' : ''}`);
            io.out(m.sql.trim());
          }
        }
        return 0;
      });
    }
    return withStore(values, io, async (store) => {
      const applied = await store.migrator.up({ to, acceptChanged });
      if (values.json) io.out(JSON.stringify({ engine: store.engine, location: store.location, applied }, null, 2));
      else io.out(applied.length ? `applied ${applied.length} migration(s) to ${store.location}: ${applied.join(', ')}` : `${store.location} is up to date`);
      return 0;
    }, { create: true });
  },
};

export const downCommand: Command = {
  name: 'down',
  summary: 'revert migrations (the newest one by default)',
  options: {
    to: { type: 'string', value: 'NAME', description: 'revert down to and including this migration' },
    all: { type: 'boolean', description: 'revert every migration' },
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Reverts the newest migration; with --to NAME, NAME and every migration after it;
with --all, every migration (the data in those tables is lost).`,
  examples: [
    'teleclaude-db down',
    'teleclaude-db down --to 002_work_queues',
    'teleclaude-db down --all',
  ],
  async run(values, _positionals, io) {
    if (values.to && values.all) throw new Error('give either --to or --all, not both');
    return withStore(values, io, async (store) => {
      const reverted = await store.migrator.down({ to: values.to as string | undefined, all: values.all === true });
      if (values.json) io.out(JSON.stringify({ engine: store.engine, location: store.location, reverted }, null, 2));
      else io.out(reverted.length ? `reverted ${reverted.length} migration(s): ${reverted.join(', ')}` : 'nothing to revert');
      return 0;
    });
  },
};
