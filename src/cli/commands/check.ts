import { exposureWarnings } from '../../container.js';
import { configOf, withStore, type Command } from '../command.js';
import { diffSchemas, expectedSchema } from '../schema-diff.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'verify connectivity, migrations, schema and integrity (exit 1 on any problem)',
  options: {
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  help: `Connects, compares the applied migrations (names and checksums) with this build's, compares the schema
(tables, columns, types, nullability, keys, indexes, foreign keys) with what the applied
migrations should have created and names each difference, and runs the engine's
integrity checks (SQLite: integrity_check and foreign_key_check; PostgreSQL: invalid
indexes). Prints one line per finding; exits 1 when anything is wrong. Warns (without
failing) when an SQLite database or its side files are readable by other users.`,
  examples: [
    'teleclaude-db check',
    'teleclaude-db check || teleclaude-db status',
  ],
  async run(values, _positionals, io) {
    return withStore(values, io, async (store) => {
      const problems: string[] = [];
      const passed: string[] = [];
      const state = await store.migrator.state();
      passed.push(`connected to ${store.engine} database ${store.location}`);
      if (state.unknown.length) problems.push(`database is newer than this build: unknown migration(s) ${state.unknown.join(', ')}`);
      if (state.changed.length) {
        problems.push(
          `applied migration(s) ${state.changed.join(', ')} changed since they were applied (recorded checksum differs from this build's; see 'teleclaude-db migrate --accept-changed')`,
        );
      }
      if (state.pending.length) problems.push(`pending migration(s): ${state.pending.join(', ')} (run 'teleclaude-db migrate')`);
      const known = store.migrator.names();
      const applied = state.applied.map((a) => a.name).filter((n) => known.includes(n));
      const gaps = known.slice(0, applied.length).filter((n) => !applied.includes(n));
      if (gaps.length) problems.push(`migration(s) ${gaps.join(', ')} were skipped while later ones were applied`);
      if (!problems.length) passed.push(`migrations: ${applied.length ? `at ${applied.at(-1)}` : 'none applied'}`);

      if (!gaps.length) {
        const schemaProblems = diffSchemas(await expectedSchema(store.engine, applied.at(-1) ?? null), await store.inspector.schema());
        problems.push(...schemaProblems);
        if (!schemaProblems.length) passed.push('schema matches the applied migrations');
      }
      const integrity = await store.inspector.integrityProblems();
      problems.push(...integrity);
      if (!integrity.length) passed.push('integrity');

      const warnings = exposureWarnings(configOf(values, io));
      if (values.json) {
        io.out(JSON.stringify({ engine: store.engine, location: store.location, ok: problems.length === 0, passed, warnings, problems }, null, 2));
      } else {
        for (const p of passed) io.out(`ok       ${p}`);
        for (const w of warnings) io.out(`WARNING  ${w}`);
        for (const p of problems) io.out(`PROBLEM  ${p}`);
      }
      if (problems.length) {
        io.err(`teleclaude-db check: ${problems.length} problem(s); first: ${problems[0]}`);
        return 1;
      }
      return 0;
    });
  },
};
