import { seed } from '../../seed/seed.js';
import { progress, withStore, type Command } from '../command.js';

export const seedCommand: Command = {
  name: 'seed',
  summary: 'fill every table with realistic sample data (demos, benchmarks)',
  options: {
    sessions: { type: 'string', value: 'N', description: 'number of sessions (other tables scale with it)' },
    replace: { type: 'boolean', description: 'delete the rows of the seeded tables first' },
    seed: { type: 'string', value: 'NUMBER', description: 'reproducible data: the same number gives the same rows' },
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Writes N sessions and related rows in every other table (queues, operations, links,
tokens, memory, mirrors, ...), over the last 90 days, each table in one transaction.
The database must be migrated. Refuses tables that already hold rows unless --replace.
Shows progress when stdout and stderr are both terminals.`,
  examples: [
    'teleclaude-db seed --sessions 1000',
    'teleclaude-db seed --sessions 100000 --replace --seed 42',
  ],
  async run(values, _positionals, io) {
    const sessions = Number(values.sessions);
    if (values.sessions === undefined || !Number.isInteger(sessions) || sessions < 1) {
      throw new Error('--sessions must be a positive integer');
    }
    const seedValue = values.seed === undefined ? undefined : Number(values.seed);
    if (seedValue !== undefined && !Number.isInteger(seedValue)) throw new Error('--seed must be an integer');
    return withStore(values, io, async (store) => {
      const state = await store.migrator.state();
      if (state.applied.length === 0) throw new Error(`${store.location} is not migrated; run 'teleclaude-db init' first`);
      const bar = progress(io);
      const started = Date.now();
      const report = await seed(store, {
        sessions,
        seed: seedValue,
        replace: values.replace === true,
        onProgress: (table, rows) => bar.show(`seeding ${table}: ${rows.toLocaleString('en-US')} rows`),
      }).finally(() => bar.done());
      const total = report.written.reduce((sum, w) => sum + w.rows, 0);
      const seconds = (Date.now() - started) / 1000;
      if (values.json) {
        io.out(JSON.stringify({ engine: store.engine, location: store.location, written: report.written, unseeded: report.unseeded, rows: total, seconds }, null, 2));
        return 0;
      }
      const width = Math.max(...report.written.map((w) => w.table.length));
      for (const w of report.written) io.out(`  ${w.table.padEnd(width)}  ${w.rows}`);
      if (report.unseeded.length) io.out(`no generator for: ${report.unseeded.join(', ')} (left as they were)`);
      io.out(`seeded ${store.location}: ${total} rows in ${report.written.length} tables in ${seconds.toFixed(1)} s`);
      return 0;
    });
  },
};
