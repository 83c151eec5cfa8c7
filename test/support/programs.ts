import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The programs tests run as child processes: the CLI, and the helper scripts of
 * test/support. Running a `.ts` file through tsx costs each child about a second of CPU
 * (its loader thread resolves and transforms every module on the way in), and the suite
 * starts several hundred children. So the global setup bundles every program once per run
 * with esbuild (the transformer tsx itself uses), npm packages left external and dynamic
 * imports kept lazy, and tests run the bundles. `bin/teleclaude-db.mjs`, the launcher that
 * runs the source through tsx, keeps tests of its own (test/cli/cli.test.ts), and the
 * packed-install test runs the shipped dist/.
 */
export const ROOT = join(import.meta.dirname, '..', '..');

/** Every program a test starts, by its path under the repository root. */
export const PROGRAMS = [
  'src/cli/run.ts',
  'test/support/hostile-content-child.ts',
  'test/support/lease-contender.ts',
  'test/support/lock-holder.ts',
  'test/support/private-daemon.ts',
  'test/support/queue-enqueuer.ts',
  'test/support/queue-worker.ts',
  'test/support/restart-load.ts',
] as const;

export type Program = (typeof PROGRAMS)[number];

/** The environment variable through which the global setup tells test workers where the bundles are. */
const PROGRAMS_DIR = 'TC_TEST_PROGRAMS_DIR';
const PARENT = join(ROOT, '.vitest', 'programs');

/**
 * Bundles every program into `.vitest/programs/<pid>` (inside the repository, so the bundles
 * resolve the packages of its node_modules), once per vitest process however many projects
 * call it, and removes the directories of runs whose process is gone.
 */
export function buildPrograms(): Promise<void> {
  const shared = globalThis as { tcTestPrograms?: Promise<void> };
  return (shared.tcTestPrograms ??= bundle());
}

async function bundle(): Promise<void> {
  const dir = join(PARENT, String(process.pid));
  for (const old of existsSync(PARENT) ? readdirSync(PARENT) : []) {
    if (!alive(Number(old))) rmSync(join(PARENT, old), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: PROGRAMS.map((program) => join(ROOT, program)),
    outbase: ROOT,
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    logLevel: 'error',
  });
  process.env[PROGRAMS_DIR] = dir;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The node arguments that run `program` (before its own arguments): its bundle from this
 * run's global setup. Node flags such as `--expose-gc` go before them.
 */
export function programArgs(program: Program): string[] {
  const dir = process.env[PROGRAMS_DIR];
  if (!dir) throw new Error('no bundled test programs: the global setup (test/support/global-setup.ts) builds them');
  const bundle = join(dir, program.replace(/\.ts$/, '.js'));
  if (!existsSync(bundle)) throw new Error(`${program} is not bundled in ${dir}: list it in PROGRAMS (test/support/programs.ts)`);
  return [bundle];
}

/** The node arguments that run the teleclaude-db CLI, built from src/ for this run. */
export const cliArgs = (): string[] => programArgs('src/cli/run.ts');
