import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createStore } from '../../src/container.js';
import { openStore, type OpenedStore } from '../../src/open-store.js';
import { harnesses, type ConnectionSpec, type EngineHarness, type TestDatabase } from '../support/harness/index.js';
import { connectionEnv, openOptions } from '../support/open-options.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'teleclaude-db.mjs');

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A new empty database for each test of the engine, removed after it. */
function target(harness: EngineHarness) {
  let current: TestDatabase | null = null;
  return {
    async next(): Promise<ConnectionSpec> {
      await current?.remove();
      current = await harness.createDatabase('tc_cli');
      return current.spec;
    },
    exec: (sql: string) => current!.exec(sql),
    teardown: async () => current?.remove(),
  };
}

for (const harness of harnesses()) {
  const engine = harness.name;
  describe(`teleclaude-db on ${engine}`, () => {
    const database = target(harness);
    let spec: ConnectionSpec;
    const opened: OpenedStore[] = [];
    afterAll(() => database.teardown());
    beforeEach(async () => {
      spec = await database.next();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    async function cli(...argv: string[]): Promise<Run> {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false, env: connectionEnv(spec), cwd: '/nonexistent' });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    async function child(...argv: string[]): Promise<Run> {
      const env = { PATH: process.env.PATH, HOME: '/nonexistent', ...connectionEnv(spec) };
      return promisify(execFile)(process.execPath, [BIN, ...argv], { env, cwd: '/' }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      );
    }

    it('init creates and migrates the database, and a second init changes nothing', async () => {
      expect(await cli('init')).toMatchObject({ code: 0, out: expect.stringMatching(/^initialised .*001_foundation/) });
      expect((await cli('init')).out).toMatch(/already initialised and current/);
      const status = JSON.parse((await cli('status', '--json')).out) as { pending: string[]; applied: unknown[] };
      expect(status.pending).toEqual([]);
      expect(status.applied.length).toBeGreaterThan(0);
    });

    it('status shows each work queue: ready, scheduled, in flight, failed, dead and the oldest ready age (text and --json)', async () => {
      await cli('init');
      const store = await openStore({ ...openOptions(spec), instanceLock: false });
      opened.push(store);
      const hooks = store.repositories.hookOutbox;
      await hooks.enqueue({ sessionId: 's', eventType: 'stop', nextAttemptAt: new Date(Date.now() - 60_000) });
      const [claimed] = await hooks.claimBatch({ limit: 1 });
      await hooks.markFailed(claimed!.id, claimed!.claimToken, 'boom', new Date(Date.now() + 3_600_000));
      await hooks.enqueue({ sessionId: 's', eventType: 'stop', nextAttemptAt: new Date(Date.now() - 5_000) });
      await hooks.enqueue({ sessionId: 's', eventType: 'stop' });
      await hooks.claimBatch({ limit: 1 });
      const report = JSON.parse((await cli('status', '--json')).out) as { queues: Record<string, Record<string, number | null>> };
      expect(report.queues.hookOutbox).toMatchObject({ ready: 1, scheduled: 1, inFlight: 1, failed: 1, dead: 0 });
      expect(report.queues.hookOutbox!.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
      expect(report.queues.hookOutbox!.oldestReadyAgeMs).toBeLessThan(60_000);
      expect(Object.keys(report.queues)).toEqual(['hookOutbox', 'inboundQueue', 'operations', 'webhooks']);
      const text = (await cli('status')).out;
      expect(text).toMatch(/queues: +ready +scheduled +in flight +failed +dead +oldest ready/);
      expect(text).toMatch(/hookOutbox +1 +1 +1 +1 +0 +\d+\.\d s/);
      expect(text).toMatch(/webhooks +0 +0 +0 +0 +0 +-/);
    });

    it('check passes on a freshly initialised database (run as a child process)', async () => {
      await cli('init');
      const run = await child('check');
      expect(run).toMatchObject({ code: 0, out: expect.stringContaining('schema matches') });
      expect(run.out).not.toContain('PROBLEM');
    });

    it('check detects a hand-dropped index and column and exits non-zero naming them', async () => {
      await cli('init');
      const dropIndex = harness.dropIndexSql?.('sessions', 'idx_sessions_closed_at') ?? 'DROP INDEX idx_sessions_closed_at';
      await database.exec(`${dropIndex}; ALTER TABLE sessions DROP COLUMN description`);
      const run = await cli('check');
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/PROBLEM +missing index idx_sessions_closed_at .*on sessions/);
      expect(run.out).toMatch(/PROBLEM +missing column sessions\.description/);
      expect(run.err.split('\n')).toHaveLength(1);
      expect((await child('check')).code).toBe(1);
    });

    it('check reports pending migrations and exits non-zero', async () => {
      // An existing, empty database (check refuses an SQLite file that does not exist, creating nothing).
      await database.exec('SELECT 1');
      const run = await cli('check');
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/PROBLEM +pending migration\(s\): 001_foundation/);
    });

    it('lock says free, then names the holding process; reset refuses while a daemon holds it', async () => {
      await cli('init');
      expect((await cli('lock')).out).toMatch(/: free$/);
      opened.push(await openStore(openOptions(spec)));
      const held = await child('lock', '--json');
      expect(held.code).toBe(0);
      expect(JSON.parse(held.out)).toMatchObject({ held: true, holder: { pid: process.pid } });
      const reset = await cli('reset', '--yes');
      expect(reset.code).toBe(1);
      expect(reset.err).toMatch(/TC_INSTANCE_LOCKED/);
      expect(reset.err.split('\n')).toHaveLength(1);
      expect(JSON.parse((await cli('status', '--json')).out).pending).toEqual([]);
    });

    it('reset refuses without --yes, and with --yes drops every table and schema_migrations', async () => {
      await cli('init');
      await cli('seed', '--sessions', '20');
      const refused = await cli('reset');
      expect(refused).toMatchObject({ code: 1, err: expect.stringMatching(/without --yes/) });
      expect(await cli('reset', '--yes')).toMatchObject({ code: 0 });
            const raw = createStore(resolveConfig(openOptions(spec)).database);
      try {
        expect(await raw.inspector.rowCounts()).toEqual({});
        expect((await raw.migrator.state()).applied).toEqual([]);
      } finally {
        await raw.close();
      }
    });

    it('seed fills every table of the migrated database with related rows that pass check', async () => {
      await cli('init');
      const shown: string[] = [];
      const out: string[] = [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), tty: true, status: (t: string) => shown.push(t), env: connectionEnv(spec), cwd: '/nonexistent' };
      expect(await main(['seed', '--sessions', '300', '--seed', '7'], io)).toBe(0);
      expect(shown[0]).toMatch(/^seeding sessions: [\d,]+ rows$/);
      expect(shown.at(-1)).toBe('');
      const run = { out: out.join('\n') };
      expect(run.out).not.toContain('no generator for');
      const store = await openStore({ ...openOptions(spec), instanceLock: false });
      opened.push(store);
      const counts = await store.inspector.rowCounts();
      for (const [table, n] of Object.entries(counts)) expect(n, table).toBeGreaterThan(0);
      expect(counts.sessions).toBe(300);
      expect((await store.repositories.sessions.list({ includeClosed: true })).length).toBeGreaterThan(0);
      expect((await cli('check')).code).toBe(0);

      expect(await cli('seed', '--sessions', '10')).toMatchObject({ code: 1, err: expect.stringMatching(/already hold rows.*TC_CONFLICT/) });
      expect((await cli('seed', '--sessions', '50', '--replace')).code).toBe(0);
      expect((await store.inspector.rowCounts()).sessions).toBe(50);
    });

    it('every command prints --help with examples, and bad usage exits non-zero with one line', async () => {
      for (const command of COMMANDS) {
        const help = await cli(command.name, '--help');
        expect(help.code, command.name).toBe(0);
        expect(help.out).toMatch(/^Usage: teleclaude-db /);
        expect(help.out).toContain('Examples:');
        expect(help.out).toContain('--config PATH');
      }
      expect(await cli('seed')).toMatchObject({ code: 1, err: expect.stringMatching(/^teleclaude-db seed: --sessions must be a positive integer$/) });
      expect(await cli('lock', '--bogus')).toMatchObject({ code: 2 });
      const missing = await child('status', '--config', '/nonexistent/teleclaude.yml');
      expect(missing.code).toBe(1);
      expect(missing.err.trim().split('\n')).toHaveLength(1);
      expect(missing.err).toMatch(/TC_CONFIG/);
    });
  });
}
