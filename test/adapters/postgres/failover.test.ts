import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type OpenedStore } from '../../../src/open-store.js';
import { startStandby, type Standby } from '../../support/standby.js';
import { startThrowawayCluster, throwawayUnavailable, type ThrowawayCluster } from '../../support/throwaway-cluster.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

function database(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/**
 * A real primary and a streaming standby (pg_basebackup -R) on this machine, synchronous
 * replication on. The primary is killed (-m immediate) under load and the standby
 * promoted; the store, opened with both hosts, follows.
 */
describe('failover to a promoted standby', () => {
  let primary: ThrowawayCluster;
  let standby: Standby;
  beforeAll(async () => {
    const why = throwawayUnavailable();
    if (why) throw new Error(why);
    primary = await startThrowawayCluster();
    await sql(primary.url, 'CREATE DATABASE tc_failover');
    standby = await startStandby(primary);
    await sql(primary.url, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    await sql(primary.url, 'SELECT pg_reload_conf()');
    for (let i = 0; ; i++) {
      const rows = await sql<{ sync_state: string }>(primary.url, 'SELECT sync_state FROM pg_stat_replication');
      if (rows.some((r) => r.sync_state === 'sync')) break;
      if (i > 100) throw new Error(`the standby never became synchronous: ${JSON.stringify(rows)}`);
      await pause(100);
    }
  });
  afterAll(() => {
    standby?.destroy();
    primary?.destroy();
  });

  it(
    'queue claims and session writes go on through the failover: every acknowledged write survives, no row is claimed twice, one daemon holds the lock',
    { timeout: 180_000 },
    async () => {
      const url = `postgresql://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/tc_failover?target_session_attrs=read-write`;
      const overrides = {
        engine: 'postgresql' as const,
        postgresql: { url, instanceLockLeaseMs: 3000, connectTimeoutMs: 2000, pool: { max: 6 } },
      };
      const daemon: OpenedStore = await openStore({ overrides, env: {}, cwd: '/nonexistent', autoMigrate: true });
      const sessions: string[] = [];
      const events: number[] = [];
      const claims: { id: number; worker: number }[] = [];
      const delivered: number[] = [];
      const unexpected: string[] = [];
      let unavailable = 0;
      let losses = 0;
      let stopping = false;
      let promotedAt = Infinity;
      let writesAfterPromotion = 0;

      daemon.lock.onLost(() => {
        losses++;
        void (async () => {
          while (!stopping && !daemon.lock.held) {
            await daemon.lock.acquire().catch(() => pause(200));
          }
        })();
      });
      const failed = (error: unknown) => {
        if ((error as { code?: string }).code === 'TC_UNAVAILABLE') unavailable++;
        else unexpected.push(`${(error as { code?: string }).code} ${(error as Error).message}`);
        return pause(50);
      };
      const writer = async () => {
        while (!stopping) {
          try {
            const s = await daemon.repositories.sessions.create({ computerName: 'failover' });
            sessions.push(s.id);
            const id = await daemon.repositories.hookOutbox.enqueue({ sessionId: s.id, eventType: 'failover', payload: { at: Date.now() } });
            events.push(id);
            if (Date.now() > promotedAt) writesAfterPromotion++;
          } catch (error) {
            await failed(error);
          }
        }
      };
      const worker = async (n: number) => {
        while (!stopping) {
          try {
            const batch = await daemon.repositories.hookOutbox.claimBatch({ limit: 5 });
            for (const e of batch) {
              claims.push({ id: e.id, worker: n });
              await daemon.repositories.hookOutbox.markDelivered(e.id, e.claimToken);
              delivered.push(e.id);
            }
            if (batch.length === 0) await pause(20);
          } catch (error) {
            await failed(error);
          }
        }
      };
      const load = Promise.all([writer(), writer(), worker(1), worker(2)]);
      try {
        await pause(1500);
        const before = sessions.length;
        primary.stop('immediate');
        await pause(500);
        standby.promote();
        promotedAt = Date.now();
        for (let waited = 0; writesAfterPromotion < 20 || !daemon.lock.held; waited += 100) {
          if (waited > 60_000) throw new Error(`no recovery: ${writesAfterPromotion} writes after promotion, lock held ${daemon.lock.held}`);
          await pause(100);
        }
        expect(before).toBeGreaterThan(0);
      } finally {
        stopping = true;
        await load;
      }

      const target = database(standby.url, 'tc_failover');
      const presentSessions = new Set((await sql<{ id: string }>(target, 'SELECT id FROM sessions')).map((r) => r.id));
      const presentEvents = new Set((await sql<{ id: number }>(target, 'SELECT id FROM hook_outbox')).map((r) => Number(r.id)));
      expect(sessions.filter((id) => !presentSessions.has(id))).toEqual([]);
      expect(events.filter((id) => !presentEvents.has(id))).toEqual([]);
      // Claims last 30 s and the test is shorter: a row handed to two claims would be a double delivery.
      const claimed = claims.map((c) => c.id);
      expect(claimed.length).toBeGreaterThan(0);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(unexpected).toEqual([]);
      expect(unavailable).toBeGreaterThan(0);

      // One daemon holds the lock: this one, re-acquired after the loss; a second is refused.
      expect(daemon.lock.held).toBe(true);
      const live = await sql<{ n: number }>(target, "SELECT count(*)::int AS n FROM instance_lease WHERE owner IS NOT NULL AND expires_at > clock_timestamp()");
      expect(live[0]!.n).toBe(1);
      const second = await openStore({ overrides, env: {}, cwd: '/nonexistent' }).catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: process.pid } });
      console.log(
        `failover: ${sessions.length} sessions and ${events.length} events acknowledged, ${delivered.length} delivered, ` +
          `${unavailable} TC_UNAVAILABLE retried, ${losses} lock losses, ${writesAfterPromotion} writes after promotion`,
      );
      await daemon.close();
    },
  );
});
