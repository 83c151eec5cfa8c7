import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectionSpec } from '../contract/engines.js';
import type { OpenStoreOptions } from '../../src/open-store.js';

const here = dirname(fileURLToPath(import.meta.url));

/** `openStore` options that reach exactly this database, whatever the environment or config files say. */
export function openOptions(spec: ConnectionSpec): OpenStoreOptions {
  const overrides =
    spec.engine === 'sqlite'
      ? { engine: 'sqlite' as const, sqlite: { path: spec.path } }
      : spec.engine === 'mariadb'
        ? { engine: 'mariadb' as const, mariadb: { url: spec.url } }
        : { engine: 'postgresql' as const, postgresql: { url: spec.url, ...(spec.lockLeaseMs ? { instanceLockLeaseMs: spec.lockLeaseMs } : {}) } };
  return { overrides, env: {}, cwd: '/nonexistent' };
}

/** The environment that points the CLI (or any child process) at this database. */
export function connectionEnv(spec: ConnectionSpec): Record<string, string> {
  return spec.engine === 'sqlite'
    ? { TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: spec.path }
    : { TELECLAUDE_DB_ENGINE: spec.engine, DATABASE_URL: spec.url };
}

/** A child process that opens the database with `openStore` (taking the instance lock) and waits; resolves once it holds the lock. */
export async function spawnLockHolder(spec: ConnectionSpec): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'lock-holder.ts'), JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${stderr}`)));
  });
  return child;
}

/** Resolves when `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
