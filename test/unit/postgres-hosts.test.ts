import { describe, expect, it } from 'vitest';
import { atTarget, hostPlan, serverGone } from '../../src/adapters/postgres/postgres-hosts.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { describeLocation } from '../../src/container.js';

describe('several PostgreSQL hosts', () => {
  it('reads the libpq multi-host URL form, strips target_session_attrs, and defaults to read-write', () => {
    const plan = hostPlan({ url: 'postgresql://tc:s3cret@db1:5432,db2:5433/teleclaude?sslmode=disable&target_session_attrs=read-write' });
    expect(plan.targets).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
    ]);
    expect(plan.attrs).toBe('read-write');
    expect(plan.url).toBe('postgresql://tc:s3cret@db1:5432/teleclaude?sslmode=disable');
    expect(hostPlan({ url: 'postgresql://db1,db2/x' })).toMatchObject({ attrs: 'read-write', targets: [{ host: 'db1', port: 5432 }, { host: 'db2', port: 5432 }] });
    expect(hostPlan({ url: 'postgresql://db1:5432,db2/x?target_session_attrs=any' }).attrs).toBe('any');
  });

  it('one host without target_session_attrs needs no choosing; a hosts list overrides the URL', () => {
    expect(hostPlan({ url: 'postgresql://db1:5432/x' })).toEqual({ targets: [], attrs: 'any', url: 'postgresql://db1:5432/x' });
    const plan = hostPlan({ url: 'postgresql://u@ignored/x', hosts: [{ host: 'a' }, { host: 'b', port: 6000 }] });
    expect(plan.targets).toEqual([
      { host: 'a', port: 5432 },
      { host: 'b', port: 6000 },
    ]);
  });

  it('points a connection string at one target, keeping user, password, database and parameters', () => {
    const config = atTarget({ connectionString: 'postgresql://tc:pw@db1:5432/teleclaude?sslmode=disable' }, { host: 'db2', port: 5433 });
    expect(config.connectionString).toBe('postgresql://tc:pw@db2:5433/teleclaude?sslmode=disable');
    expect(atTarget({ host: 'db1', port: 1, user: 'u' }, { host: 'db2', port: 2 })).toEqual({ host: 'db2', port: 2, user: 'u' });
  });

  it('"gone or a standby now" means 25006, 57P01, refused connections; not constraint errors', () => {
    const error = (code: string) => Object.assign(new Error('x'), { code });
    expect(serverGone(error('25006'))).toBe(true);
    expect(serverGone(error('57P01'))).toBe(true);
    expect(serverGone(error('ECONNREFUSED'))).toBe(true);
    expect(serverGone(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(serverGone(error('23505'))).toBe(false);
    expect(serverGone(undefined)).toBe(false);
  });

  it('the config accepts a hosts list, targetSessionAttrs, the lock kind and its lease, and refuses bad values by key', () => {
    const { database } = resolveConfig({
      overrides: { engine: 'postgresql', postgresql: { hosts: [{ host: 'db1' }, { host: 'db2', port: 5433 }], targetSessionAttrs: 'read-write', database: 'tc' } },
      env: {},
      cwd: '/nonexistent',
    });
    expect(describeLocation(database)).toBe('postgresql://db1:5432,db2:5433/tc');
    expect(database.postgresql).toMatchObject({ hosts: [{ host: 'db1' }, { host: 'db2', port: 5433 }], instanceLock: 'lease', instanceLockLeaseMs: 15_000, migrationLockTimeoutMs: 10_000 });
    expect(() =>
      resolveConfig({ overrides: { engine: 'postgresql', postgresql: { instanceLock: 'file' as 'lease' } }, env: {}, cwd: '/nonexistent' }),
    ).toThrow(/database\.postgresql\.instanceLock: must be "lease" or "advisory"/);
    expect(() =>
      resolveConfig({ overrides: { engine: 'postgresql', postgresql: { instanceLockLeaseMs: 10 } }, env: {}, cwd: '/nonexistent' }),
    ).toThrow(/database\.postgresql\.instanceLockLeaseMs: must be at least 300/);
  });
});
