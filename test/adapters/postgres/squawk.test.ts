import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../../src/migrations/postgres/index.js';

// squawk (squawk-cli, a devDependency) lints PostgreSQL migrations for statements that
// lock or break a live database; .squawk.toml says why each excluded rule is excluded.
const squawk = join(process.cwd(), 'node_modules', '.bin', 'squawk');
const config = join(process.cwd(), '.squawk.toml');
const dir = mkdtempSync(join(tmpdir(), 'tc-squawk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(name: string, sql: string): { status: number | null; output: string } {
  const file = join(dir, `${name}.sql`);
  writeFileSync(file, sql);
  const run = spawnSync(squawk, ['--config', config, '--reporter', 'gcc', file], { encoding: 'utf8', cwd: dir });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('squawk on the PostgreSQL migrations', () => {
  it.each(postgresMigrations.map((m) => [m.name, m] as const))('%s passes', (name, migration) => {
    // A code migration's declared SQL, with its run-time collation filled in.
    const sql = typeof migration.up === 'string' ? migration.up : migration.sql!.replaceAll('<collation>', '"default"');
    expect(sql.trim().length).toBeGreaterThan(0);
    const result = lint(name, sql);
    expect(result.output).not.toMatch(/error: (failed|could not)/i);
    expect(result, result.output).toMatchObject({ status: 0 });
  });

  it('flags an unsafe statement with this configuration (the lint can fail)', () => {
    const result = lint('unsafe', 'ALTER TABLE sessions ALTER COLUMN title SET NOT NULL;\nALTER TABLE sessions ADD COLUMN n serial;\n');
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/adding-not-nullable-field|adding-required-field|adding-serial/);
  });
});
