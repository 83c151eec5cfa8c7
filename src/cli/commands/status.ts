import { CopyUnfinishedError } from '../../domain/errors.js';
import { withStore, type Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'engine, location, applied and pending migrations, rows per table, work queues',
  options: {
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Shows which database the config selects (password masked), its migrations and the
number of rows in each table, the work queues (ready, scheduled, in flight, failed, dead,
age of the oldest ready row; only once every migration is applied), and an unfinished copy
with the command that finishes it (every other command refuses such a database). Exits 1
when the database is newer than this build.`,
  examples: [
    'teleclaude-db status',
    'teleclaude-db status --json | jq .pending',
  ],
  async run(values, _positionals, io) {
    return withStore(values, io, async (store) => {
      const state = await store.migrator.state();
      const copy = await store.bulk.interruptedCopy();
      const rows = state.applied.length > 0 ? await store.inspector.rowCounts() : {};
      const current = state.applied.length > 0 && state.pending.length === 0 && state.unknown.length === 0;
      const r = store.repositories;
      const queues = current
        ? {
            hookOutbox: await r.hookOutbox.stats(),
            inboundQueue: await r.inboundQueue.stats(),
            operations: await r.operations.stats(),
            webhooks: await r.webhooks.stats(),
          }
        : null;
      const report = {
        engine: store.engine,
        location: store.location,
        applied: state.applied.map((a) => ({ name: a.name, appliedAt: a.appliedAt.toISOString() })),
        pending: state.pending,
        unknown: state.unknown,
        rows,
        queues,
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
        if (queues) {
          io.out('queues:         ready  scheduled  in flight  failed  dead  oldest ready');
          for (const [name, q] of Object.entries(queues)) {
            const age = q.oldestReadyAgeMs === null ? '-' : `${(q.oldestReadyAgeMs / 1000).toFixed(1)} s`;
            const cells = [q.ready, q.scheduled, q.inFlight, q.failed, q.dead].map((n, i) => String(n).padStart([5, 9, 9, 6, 4][i]!));
            io.out(`  ${name.padEnd(12)}  ${cells.join('  ')}  ${age}`);
          }
        }
      }
      return report.unknown.length ? 1 : 0;
    }, { unfinishedCopy: 'allow' });
  },
};
