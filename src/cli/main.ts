import { resolveConfig } from '../config/resolve-config.js';
import { configSecrets, environmentSecrets, urlSecrets } from '../config/secrets.js';
import { COMMON_HELP, parse, sanitisedIo, type Command, type Io } from './command.js';
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

/**
 * Every password this run could print: the environment's, any URL among the arguments
 * (copy --from/--to) and the config file's (read here as well, so a command that fails
 * before reading it still has its password masked).
 */
function knownSecrets(argv: string[], io: Io): Set<string> {
  const secrets = new Set([...environmentSecrets(io.env), ...argv.flatMap(urlSecrets)]);
  const at = argv.indexOf('--config');
  const configPath = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  try {
    for (const s of configSecrets(resolveConfig({ configPath, env: io.env, cwd: io.cwd }).database)) secrets.add(s);
  } catch {
    // An unreadable config is reported by the command itself.
  }
  return secrets;
}

/** Runs the CLI; returns the exit code. Everything it prints goes through `sanitisedIo`. */
export async function main(argv: string[], rawIo: Io): Promise<number> {
  const io = sanitisedIo(rawIo, knownSecrets(argv, rawIo));
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
    io.err(`teleclaude-db ${name}: ${oneLine(error)}`);
    return 1;
  }
}

function oneLine(error: unknown): string {
  const e = error as Error & { code?: string };
  const text = (e?.message ?? String(error)).split('\n')[0]!;
  return e?.code?.startsWith?.('TC_') ? `${text} [${e.code}]` : text;
}
