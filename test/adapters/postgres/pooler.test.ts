import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresInstanceLock } from '../../../src/adapters/postgres/postgres-instance-lock.js';
import { PostgresLeaseLock } from '../../../src/adapters/postgres/postgres-lease-lock.js';
import { createPostgresMigrator } from '../../../src/adapters/postgres/postgres-migrator.js';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { openStore } from '../../../src/open-store.js';
import { admin, createPgDatabase } from '../../support/databases.js';
import { exited, spawnLockHolder } from '../../support/open-options.js';
import { startPgBouncer, type PgBouncer } from '../../support/pgbouncer.js';
import { programArgs } from '../../support/programs.js';


/** PgBouncer 1.18 in transaction mode with default settings, in front of a database of this file's own. */
describe('PostgreSQL through PgBouncer in transaction pooling mode (default settings)', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let bouncer: PgBouncer;
  let url: string;
  beforeAll(async () => {
    db = await createPgDatabase('tc_pooler');
    bouncer = await startPgBouncer(db.url);
    url = bouncer.through(db.url);
    const store = new PostgresStore({ url }, url);
    await store.migrator.up();
    await store.close();
  });
  afterAll(async () => {
    await bouncer?.stop();
    await db?.drop();
  });

  /** A raw client through the pooler, as another application sharing it would be. */
  const rawThroughPooler = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => admin(fn, url);

  it('statementTimeoutMs holds for single statements and inside transactions: pg_sleep(2) under 500 ms fails with TC_UNAVAILABLE', async () => {
    const store = new PostgresStore({ url, statementTimeoutMs: 500 }, url);
    try {
      for (const run of [
        () => store.database.query('SELECT pg_sleep(2)'),
        () => store.database.query('SELECT pg_sleep($1)', [2]),
        () => store.database.transaction((tx) => tx.query('SELECT pg_sleep(2)')),
      ]) {
        const started = Date.now();
        await expect(run()).rejects.toMatchObject({ code: 'TC_UNAVAILABLE', message: /timed out/ });
        expect(Date.now() - started).toBeLessThan(1800);
      }
      // The pooler's server connections are left as they were: the timeout was the statement's own.
      expect(await rawThroughPooler(async (c) => (await c.query('SHOW statement_timeout')).rows[0].statement_timeout)).toBe('0');
    } finally {
      await store.close();
    }
  });

  it("schema isolation: a tenant schema's rows are in that schema, not in public, and nothing leaks to other clients of the pooler", async () => {
    const tenant = new PostgresStore({ url, schema: 'tenant_a' }, url);
    try {
      expect(await tenant.migrator.up()).toContain('001_foundation');
      await tenant.repositories.settings.set('where', 'tenant_a');
      await tenant.transaction((tx) => tx.settings.set('in-tx', 'tenant_a'));
      const session = await tenant.repositories.sessions.create({ computerName: 'tenant-box' });
      const counts = await rawThroughPooler(async (c) => ({
        tenantSettings: (await c.query('SELECT count(*)::int AS n FROM tenant_a.system_settings')).rows[0].n,
        publicSettings: (await c.query('SELECT count(*)::int AS n FROM public.system_settings')).rows[0].n,
        publicSession: (await c.query('SELECT count(*)::int AS n FROM public.sessions WHERE id = $1', [session.id])).rows[0].n,
        tenantSession: (await c.query('SELECT count(*)::int AS n FROM tenant_a.sessions WHERE id = $1', [session.id])).rows[0].n,
        searchPath: (await c.query('SHOW search_path')).rows[0].search_path,
      }));
      expect(counts).toEqual({ tenantSettings: 2, publicSettings: 0, publicSession: 0, tenantSession: 1, searchPath: '"$user", public' });
      // The migrator read the tenant's schema_migrations, not public's.
      expect((await tenant.migrator.state()).pending).toEqual([]);
      const publicStore = new PostgresStore({ url }, url);
      expect(await publicStore.repositories.settings.get('where')).toBeNull();
      await publicStore.close();
    } finally {
      await tenant.close();
    }
  });

  it('a startup parameter the pooler refuses is TC_CONFIG naming it, not TC_UNAVAILABLE', async () => {
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c search_path=elsewhere');
    const store = new PostgresStore({ url: withOptions.toString() }, 'x');
    try {
      const error = await store.database.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TC_CONFIG', message: /pooler refuses a startup parameter.*options/ });
      expect((error as Error).message).not.toContain('\n');
    } finally {
      await store.close();
    }
  });

  it('a missing database behind the pooler is TC_CONFIG, as on a direct connection', async () => {
    const missing = new URL(url);
    missing.pathname = '/tc_no_such_database';
    const store = new PostgresStore({ url: missing.toString() }, 'x');
    try {
      await expect(store.database.query('SELECT 1')).rejects.toMatchObject({ code: 'TC_CONFIG', message: /no such database/ });
    } finally {
      await store.close();
    }
  });

  it('a missing schema is TC_CONFIG naming the schema when a daemon opens without migrating', async () => {
    const error = await openStore({
      overrides: { engine: 'postgresql', postgresql: { url, schema: 'no_such_tenant' } },
      env: {},
      cwd: '/nonexistent',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TC_CONFIG', key: 'database.postgresql.schema', message: /schema "no_such_tenant" does not exist/ });
  });

  it('the advisory instance lock is refused through the pooler with TC_CONFIG naming instanceLock', async () => {
    const lock = new PostgresInstanceLock({ url }, 'x');
    await expect(lock.acquire()).rejects.toMatchObject({ code: 'TC_CONFIG', key: 'database.postgresql.instanceLock' });
    expect(lock.held).toBe(false);
    const direct = new PostgresInstanceLock({ url: db.url }, 'x');
    await direct.acquire();
    expect(direct.held).toBe(true);
    await direct.release();
  });

  it('the lease: refusal names holder, start and expiry; epochs grow; renewal keeps it; a failed renewal fires the loss signal', async () => {
    const first = new PostgresLeaseLock({ url, instanceLockLeaseMs: 1500 }, 'x');
    const second = new PostgresLeaseLock({ url, instanceLockLeaseMs: 1500 }, 'x');
    try {
      await first.acquire();
      const epoch = first.epoch!;
      // Three lease times: only renewals keep it.
      await new Promise((r) => setTimeout(r, 4500));
      const error = (await second.acquire().catch((e: unknown) => e)) as Error & { holder: Record<string, unknown> };
      expect(error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: process.pid, epoch } });
      expect(error.holder.startedAt).toBeInstanceOf(Date);
      expect((error.holder.expiresAt as Date).getTime()).toBeGreaterThan(Date.now() - 1000);
      expect(error.message).toMatch(new RegExp(`pid ${process.pid} .*since .* until .* unless renewed`));
      await first.release();
      await second.acquire();
      expect(second.epoch).toBe(epoch + 1);

      // Take the lease from under the holder (as an expired lease taken by another daemon would be).
      const lost = new Promise<Error>((resolve) => second.onLost(resolve));
      await rawThroughPooler((c) => c.query("UPDATE instance_lease SET owner = gen_random_uuid(), epoch = epoch + 1 WHERE name = 'daemon'"));
      const reason = await lost;
      expect(reason).toMatchObject({ code: 'TC_UNAVAILABLE', message: /expired or another process took it/ });
      expect(second.signal.aborted).toBe(true);
      expect(second.held).toBe(false);
    } finally {
      await first.release();
      await second.release();
      await rawThroughPooler((c) => c.query("UPDATE instance_lease SET owner = NULL WHERE name = 'daemon'"));
    }
  });

  it('a SIGKILLed holder frees the lease within the lease time', async () => {
    const leaseMs = 2000;
    const child = await spawnLockHolder({ engine: 'postgresql', location: url, settings: { instanceLockLeaseMs: leaseMs } });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited(child);
    const lock = new PostgresLeaseLock({ url, instanceLockLeaseMs: leaseMs }, 'x');
    try {
      for (;;) {
        const error = await lock.acquire().catch((e: { code?: string }) => e);
        if (!error) break;
        expect(error).toMatchObject({ code: 'TC_INSTANCE_LOCKED' });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(Date.now() - killedAt).toBeLessThanOrEqual(leaseMs + 1000);
    } finally {
      await lock.release();
    }
  });

  it('50 rounds of 4 simultaneous starts in 4 processes: exactly one holds the lock each round, never two', { timeout: 300_000 }, async () => {
    const overrides = { engine: 'postgresql', postgresql: { url, instanceLockLeaseMs: 5000, pool: { max: 2 } } };
    const contenders = Array.from({ length: 4 }, () => contender(JSON.stringify(overrides)));
    try {
      const epochs: number[] = [];
      for (let round = 0; round < 50; round++) {
        const answers = await Promise.all(contenders.map((c) => c.ask('start')));
        const holders = answers.filter((a) => a.startsWith('held '));
        expect(answers.filter((a) => !a.startsWith('held ') && a !== 'locked'), `round ${round}`).toEqual([]);
        expect(holders, `round ${round}: ${answers.join(', ')}`).toHaveLength(1);
        epochs.push(Number(holders[0]!.slice(5)));
        await Promise.all(contenders.map((c) => c.ask('stop')));
      }
      // The fencing token grew with every acquisition.
      for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]!);
    } finally {
      for (const c of contenders) c.process.kill('SIGKILL');
    }
  });

  it('a migration waiting on a busy table fails after migrationLockTimeoutMs with a message saying so, and changes nothing', async () => {
    await rawThroughPooler((c) => c.query('CREATE SCHEMA mig_busy; CREATE TABLE mig_busy.busy (id int)'));
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE mig_busy.busy IN ACCESS SHARE MODE');
    const migrator = createPostgresMigrator({ url, schema: 'mig_busy', migrationLockTimeoutMs: 300 }, [
      { name: '900_touch_busy', up: 'ALTER TABLE busy ADD COLUMN extra int', down: 'ALTER TABLE busy DROP COLUMN extra' },
    ]);
    try {
      const started = Date.now();
      const error = await migrator.up().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TC_MIGRATION', message: /migration 900_touch_busy: waited more than 300 ms for a lock/ });
      expect(Date.now() - started).toBeLessThan(5000);
      await holder.query('ROLLBACK');
      expect(await migrator.up()).toEqual(['900_touch_busy']);
    } finally {
      await holder.end();
    }
  });
});

/** One lease-contender process, asked one line at a time. */
function contender(overrides: string): { process: ChildProcess; ask: (line: string) => Promise<string> } {
  const child = spawn(process.execPath, [...programArgs('test/support/lease-contender.ts'), overrides], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    process: child,
    ask(line) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin!.write(`${line}\n`);
      });
    },
  };
}
