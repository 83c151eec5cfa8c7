import { maskSecrets } from '../config/resolve-config.js';
import { COMMON_HELP, parse, type Command, type Io } from './command.js';
import { checkCommand } from './commands/check.js';
import { initCommand } from './commands/init.js';
import { copyCommand } from './commands/copy.js';
import { lockCommand } from './commands/lock.js';
import { downCommand, migrateCommand } from './commands/migrate.js';
import { resetCommand } from './commands/reset.js';
import { seedCommand } from './commands/seed.js';
import { statusCommand } from './commands/status.js';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: Command[] = [
  initCommand,
  migrateCommand,
  downCommand,
  statusCommand,
  checkCommand,
  lockCommand,
  resetCommand,
  seedCommand,
  copyCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'teleclaude-db: manage a TeleClaude database (SQLite by default, PostgreSQL with DATABASE_URL or config)',
    '',
    'Usage: teleclaude-db <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options:',
    COMMON_HELP,
    '',
    'Environment: TELECLAUDE_CONFIG, TELECLAUDE_DB_ENGINE, TELECLAUDE_DB_PATH, DATABASE_URL, PGHOST, PGPORT,',
    'PGDATABASE, PGUSER, PGPASSWORD (they override the config file).',
    "Run 'teleclaude-db <command> --help' for a command's options and examples.",
  ].join('\n');
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`teleclaude-db: unknown command "${name}"; run 'teleclaude-db --help'`);
    return 2;
  }
  let parsed;
  try {
    parsed = parse(command, rest);
  } catch (error) {
    io.err(`teleclaude-db ${name}: ${(error as Error).message}; run 'teleclaude-db ${name} --help'`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`Usage: ${command.usage}\n\n${command.help}\n\nCommon options:\n${COMMON_HELP}`);
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    io.err(`teleclaude-db ${name}: ${oneLine(error, io.env)}`);
    return 1;
  }
}

function oneLine(error: unknown, env: NodeJS.ProcessEnv): string {
  const e = error as Error & { code?: string };
  const text = (e?.message ?? String(error)).split('\n')[0]!;
  const masked = maskSecrets(text, env.PGPASSWORD);
  return e?.code?.startsWith?.('TC_') ? `${masked} [${e.code}]` : masked;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  tty: Boolean(process.stderr.isTTY),
  status: (text) => process.stderr.write(`\r\x1b[K${text}`),
  env: process.env,
  cwd: process.cwd(),
};
