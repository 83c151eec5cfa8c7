import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresInstanceLock } from '../../../src/adapters/postgres/postgres-instance-lock.js';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import type { PostgresOptions } from '../../../src/adapters/postgres/postgres-database.js';
import { openStore } from '../../../src/open-store.js';
import { pgAdminUrl, withDatabase } from '../../support/databases.js';
import { startThrowawayCluster, throwawayUnavailable, type ThrowawayCluster } from '../../support/throwaway-cluster.js';

/** What a store, the instance lock and the migrator each make of a connection attempt. */
async function failures(options: PostgresOptions): Promise<Error[]> {
  const store = new PostgresStore(options, 'x');
  const lock = new PostgresInstanceLock(options, 'x');
  const outcomes = await Promise.all([
    store.database.query('SELECT 1').then(() => null, (e: Error) => e),
    store.transaction(async (tx) => tx.settings.list()).then(() => null, (e: Error) => e),
    lock.acquire().then(() => null, (e: Error) => e),
    store.migrator.state().then(() => null, (e: Error) => e),
  ]);
  await lock.release();
  await store.close();
  return outcomes.map((outcome, i) => {
    if (!outcome) throw new Error(`attempt ${i} connected, but should have been refused`);
    return outcome;
  });
}

function expectConfigError(errors: Error[], reason: RegExp, secret?: string): void {
  for (const error of errors) {
    expect(error).toMatchObject({ code: 'TC_CONFIG', key: 'database.postgresql' });
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain('\n');
    if (secret) expect(error.message).not.toContain(secret);
  }
}

describe('PostgreSQL connection failures that are configuration (shared trust server)', () => {
  it('an unknown role is a TC_CONFIG error naming the role', async () => {
    const url = new URL(pgAdminUrl());
    url.username = 'tc_no_such_role';
    expectConfigError(await failures({ url: url.toString() }), /no such role.*"tc_no_such_role" does not exist/);
  });

  it('a missing database is a TC_CONFIG error naming the database', async () => {
    expectConfigError(await failures({ url: withDatabase(pgAdminUrl(), 'tc_no_such_database') }), /no such database.*"tc_no_such_database" does not exist/);
  });

  it('ssl on against a server without TLS is a TC_CONFIG error naming ssl', async () => {
    expectConfigError(await failures({ url: pgAdminUrl(), ssl: true }), /ssl is set but the server does not accept TLS/);
  });

  it('a server that is not there stays TC_UNAVAILABLE (retrying can help)', async () => {
    const errors = await failures({ url: 'postgresql://postgres@127.0.0.1:1/postgres', connectTimeoutMs: 1000 });
    for (const error of errors) expect(error).toMatchObject({ code: 'TC_UNAVAILABLE' });
  });
});

const unavailable = throwawayUnavailable();
const SUPERUSER_PASSWORD = 'Sup3r-Secret-Word';
const APP_PASSWORD = 'App-Pa55word-Xyz';

describe.skipIf(unavailable)(`PostgreSQL connection failures that are configuration (throwaway cluster with passwords, pg_hba rules and TLS)${unavailable ? `: skipped, ${unavailable}` : ''}`, () => {
  let cluster: ThrowawayCluster;
  const as = (user: string, password: string | undefined, database = 'postgres') =>
    `postgresql://${user}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${cluster.port}/${database}`;

  beforeAll(async () => {
    cluster = await startThrowawayCluster({ password: SUPERUSER_PASSWORD });
    const admin = new pg.Client({ connectionString: cluster.url });
    admin.on('error', () => {});
    await admin.connect();
    for (const role of ['app', 'hba_refused', 'tls_only']) await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${APP_PASSWORD}'`);
    await admin.query('CREATE DATABASE restricted');
    await admin.query('REVOKE CONNECT ON DATABASE restricted FROM PUBLIC');
    await admin.end();
    // A self-signed certificate: TLS works, but a client that verifies it (ssl: true) refuses it.
    const key = join(cluster.dataDir, 'server.key');
    const crt = join(cluster.dataDir, 'server.crt');
    execFileSync('openssl', ['req', '-new', '-x509', '-days', '2', '-nodes', '-subj', '/CN=tc-throwaway', '-keyout', key, '-out', crt], { stdio: 'pipe' });
    writeFileSync(
      join(cluster.dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all hba_refused 127.0.0.1/32 reject',
        'hostssl all tls_only 127.0.0.1/32 scram-sha-256',
        'host all postgres,app 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n'),
    );
    writeFileSync(join(cluster.dataDir, 'postgresql.auto.conf'), "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    if (userInfo().uid === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const file of [key, crt, 'pg_hba.conf', 'postgresql.auto.conf']) chownSync(join(cluster.dataDir, file.replace(cluster.dataDir + '/', '')), uid, gid);
    }
    execFileSync('chmod', ['600', key]);
    cluster.restart();
  });
  afterAll(() => cluster?.destroy());

  it('the right password connects (the setup itself is sound)', async () => {
    const store = new PostgresStore({ url: as('app', APP_PASSWORD) }, 'x');
    expect((await store.database.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe('app');
    await store.close();
  });

  it('a wrong password is a TC_CONFIG error that names the cause and not the password', async () => {
    const wrong = 'Wr0ng-Pa55-Value';
    expectConfigError(await failures({ url: as('app', wrong) }), /wrong password.*password authentication failed for user "app"/, wrong);
  });

  it('no password where the server asks for one is a TC_CONFIG error saying so', async () => {
    expectConfigError(await failures({ host: '127.0.0.1', port: cluster.port, user: 'app', database: 'postgres' }), /asks for a password and none is configured/);
  });

  it('a pg_hba.conf reject line is a TC_CONFIG error naming pg_hba.conf', async () => {
    expectConfigError(await failures({ url: as('hba_refused', APP_PASSWORD) }), /pg_hba\.conf rejects connections.*"hba_refused"/, APP_PASSWORD);
  });

  it('a role the server admits only over TLS, connecting without it, is a TC_CONFIG error that says to set ssl; with ssl it connects', async () => {
    expectConfigError(await failures({ url: as('tls_only', APP_PASSWORD) }), /admits this host, user and database without TLS; if it admits them only over TLS, set ssl.*"tls_only"/, APP_PASSWORD);
    const store = new PostgresStore({ url: as('tls_only', APP_PASSWORD), ssl: { rejectUnauthorized: false } }, 'x');
    expect((await store.database.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl).toBe(true);
    await store.close();
  });

  it("a server certificate the ssl settings do not trust is a TC_CONFIG error naming the certificate", async () => {
    expectConfigError(await failures({ url: as('app', APP_PASSWORD), ssl: true }), /TLS certificate is not trusted.*self[- ]signed/i, APP_PASSWORD);
  });

  it('a role without CONNECT on the database is a TC_CONFIG error', async () => {
    expectConfigError(await failures({ url: as('app', APP_PASSWORD, 'restricted') }), /may not connect to this database.*permission denied for database "restricted"/, APP_PASSWORD);
  });

  it('openStore (the daemon path) refuses a wrong password with TC_CONFIG, and a stopped server with TC_UNAVAILABLE', async () => {
    const wrong = 'An0ther-Wrong-One';
    const open = (url: string) =>
      openStore({ overrides: { engine: 'postgresql', postgresql: { url, connectTimeoutMs: 2000 } }, env: {}, cwd: '/nonexistent' }).then(
        async (store) => {
          await store.close();
          return null;
        },
        (e: Error) => e,
      );
    const refused = await open(as('app', wrong));
    expect(refused).toMatchObject({ code: 'TC_CONFIG' });
    expect(refused!.message).not.toContain(wrong);
    cluster.stop('fast');
    try {
      expect(await open(as('app', APP_PASSWORD))).toMatchObject({ code: 'TC_UNAVAILABLE' });
    } finally {
      cluster.start();
    }
  });
});
