import { CopyUnfinishedError } from '../../domain/errors.js';
import { withStore, type Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'engine, location, applied and pending migrations, rows per table',
  options: {
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Shows which database the config selects (password masked), its migrations and the
number of rows in each table, and an unfinished copy with the command that finishes it
(every other command refuses such a database). Exits 1 when the database is newer than
this build.`,
  examples: [
    'teleclaude-db status',
    'teleclaude-db status --json | jq .pending',
  ],
  async run(values, _positionals, io) {
    return withStore(values, io, async (store) => {
      const state = await store.migrator.state();
      const copy = await store.bulk.interruptedCopy();
      const rows = state.applied.length > 0 ? await store.inspector.rowCounts() : {};
      const report = {
        engine: store.engine,
        location: store.location,
        applied: state.applied.map((a) => ({ name: a.name, appliedAt: a.appliedAt.toISOString() })),
        pending: state.pending,
        unknown: state.unknown,
        rows,
        unfinishedCopy: copy && { ...copy, message: new CopyUnfinishedError(store.location, copy.sources, copy).message },
      };
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else {
        io.out(`engine:   ${report.engine}`);
        io.out(`location: ${report.location}`);
        io.out(`applied:  ${report.applied.length ? report.applied.map((a) => a.name).join(', ') : '(none)'}`);
        io.out(`pending:  ${report.pending.length ? report.pending.join(', ') : '(none)'}`);
        if (report.unknown.length) io.out(`unknown:  ${report.unknown.join(', ')} (database is newer than this build)`);
        if (report.unfinishedCopy) io.out(`copy:     UNFINISHED: ${report.unfinishedCopy.message}`);
        const width = Math.max(0, ...Object.keys(rows).map((t) => t.length));
        if (Object.keys(rows).length) io.out('rows:');
        for (const [table, n] of Object.entries(rows)) io.out(`  ${table.padEnd(width)}  ${n}`);
      }
      return report.unknown.length ? 1 : 0;
    }, { unfinishedCopy: 'allow' });
  },
};
