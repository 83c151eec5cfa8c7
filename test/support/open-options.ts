import { spawn, type ChildProcess } from 'node:child_process';
import type { DatabaseConfig, DatabaseConfigInput } from '../../src/config/config-schema.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createStore, createTableReader } from '../../src/container.js';
import { engineNamed, locationEnvironment } from '../../src/engines/registry.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import type { TableReader } from '../../src/ports/table-reader.js';
import type { OpenStoreOptions } from '../../src/open-store.js';
import type { ConnectionSpec } from './harness/index.js';
import { programArgs } from './programs.js';

/** `openStore` options that reach exactly this database, whatever the environment or config files say. */
export function openOptions(spec: ConnectionSpec, settings: Record<string, unknown> = {}): OpenStoreOptions {
  const engine = engineNamed(spec.engine);
  const block = { ...engine.locationConfig(spec.location, '/'), ...spec.settings, ...settings };
  return { overrides: { engine: spec.engine, [spec.engine]: block } as DatabaseConfigInput, env: {}, cwd: '/nonexistent' };
}

/** The resolved config of this database (with `settings` of its engine's block over the spec's). */
export function configOf(spec: ConnectionSpec, settings: Record<string, unknown> = {}): DatabaseConfig {
  return resolveConfig(openOptions(spec, settings)).database;
}

/** A store on this database, built as the package builds it (not migrated, no instance lock). */
export function storeFor(spec: ConnectionSpec, options: { clock?: Clock; settings?: Record<string, unknown> } = {}): Store {
  return createStore(configOf(spec, options.settings), { clock: options.clock });
}

/** A TableReader (as `copy` uses) on this database. */
export function readerFor(spec: ConnectionSpec): TableReader {
  return createTableReader(configOf(spec));
}

/** The environment that points the CLI (or any child process) at this database. */
export function connectionEnv(spec: ConnectionSpec): Record<string, string> {
  return locationEnvironment(engineNamed(spec.engine), spec.location);
}

/** A child process that opens the database with `openStore` (taking the instance lock) and waits; resolves once it holds the lock. */
export async function spawnLockHolder(spec: ConnectionSpec): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...programArgs('test/support/lock-holder.ts'), JSON.stringify(spec)], {
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
