import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { describeLocation } from '../../../src/container.js';
import { createStore } from '../../../src/container.js';
import { main } from '../../../src/cli/main.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../../support/throwaway-cluster.js';

const PASSWORD = 'S3cret-Pa55word';

describe('PostgreSQL with password authentication (throwaway cluster)', () => {
  let cluster: ThrowawayCluster;
  beforeAll(async () => {
    cluster = await startThrowawayCluster({ password: PASSWORD });
  });
  afterAll(() => cluster?.destroy());

  it('connects and migrates with the right password', async () => {
    const store = new PostgresStore({ url: cluster.url }, 'x');
    try {
      expect(await store.migrator.up()).toContain('001_foundation');
    } finally {
      await store.close();
    }
  });

  it('a wrong password fails with a clear message that never contains the password', async () => {
    const wrong = 'Wr0ng-Secret-Value';
    const url = `postgresql://postgres:${wrong}@127.0.0.1:${cluster.port}/postgres`;
    const { database } = resolveConfig({ env: { DATABASE_URL: url }, cwd: '/nonexistent' });
    expect(describeLocation(database)).not.toContain(wrong);
    const store = createStore(database);
    const error = await store.migrator.state().then(
      () => null,
      (e: Error) => e,
    );
    await store.close();
    expect(error).not.toBeNull();
    expect(error!.message).toMatch(/password authentication failed/);
    expect(error!.message).not.toContain(wrong);

    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: false, env: { DATABASE_URL: url }, cwd: '/nonexistent' };
    expect(await main(['status'], io)).toBe(1);
    expect(lines.join('\n')).toMatch(/password authentication failed/);
    expect(lines.join('\n')).not.toContain(wrong);
  });

  it('a password given as PGPASSWORD is masked in status output', async () => {
    const lines: string[] = [];
    const env = { PGHOST: '127.0.0.1', PGPORT: String(cluster.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGPASSWORD: PASSWORD, TELECLAUDE_DB_ENGINE: 'postgresql' };
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: false, env, cwd: '/nonexistent' };
    expect(await main(['status', '--json'], io)).toBe(0);
    const out = lines.join('\n');
    expect(out).toContain('****');
    expect(out).not.toContain(PASSWORD);
  });
});
