import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, run, type ThrowawayCluster } from './throwaway-cluster.js';

/** A streaming-replication standby of a throwaway cluster, on a free port of its own. */
export interface Standby {
  port: number;
  url: string;
  /** `pg_ctl promote`: the standby becomes a primary (waits until it accepts writes). */
  promote(): void;
  destroy(): void;
}

/**
 * `pg_basebackup -R` of `primary` (trust authentication, as throwaway clusters have),
 * started as a hot standby. The standby's copy carries no synchronous_standby_names, so
 * once promoted it commits without waiting for a standby of its own.
 */
export async function startStandby(primary: ThrowawayCluster): Promise<Standby> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-standby-'));
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync']);
  const port = await freePort();
  const log = join(dir, 'server.log');
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c cluster_name=tc_standby`;
  run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start']);
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    promote: () => run('pg_ctl', ['-D', data, '-w', '-t', '60', 'promote']),
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
