import { resolveConfig } from '../config/resolve-config.js';
import { urlSecrets } from '../config/secrets.js';
import { configSecrets, environmentSecrets } from '../engines/registry.js';
import { Command as Commander, CommanderError, Option } from 'commander';
import { sanitisedIo, type Command, type Io, type Values } from './command.js';
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

const CONFIG_HELP = 'config file (else $TELECLAUDE_CONFIG, ./teleclaude.yml, ~/.teleclaude/teleclaude.yml)';

const ENVIRONMENT_HELP = `
Environment: TELECLAUDE_CONFIG, TELECLAUDE_DB_ENGINE, TELECLAUDE_DB_PATH, DATABASE_URL, PGHOST, PGPORT,
PGDATABASE, PGUSER, PGPASSWORD (they override the config file).
Exit codes: 0 success, 1 failure (one line on stderr), 2 bad usage (or copy --dry-run found rejects).
Run 'teleclaude-db <command> --help' for a command's options and examples.`;

interface Chosen {
  command: Command;
  values: Values;
  positionals: string[];
}

/**
 * The command line as commander parses it: global options (--config, --help) anywhere,
 * before or after the command. Commander writes nothing and exits nothing itself: help
 * goes to `io.out`, a usage error is captured for `main` to print as one line.
 */
function program(io: Io, chosen: { value?: Chosen; error?: { command: string; message: string } }): Commander {
  const root = new Commander('teleclaude-db')
    .description('manage a TeleClaude database (SQLite by default, PostgreSQL with DATABASE_URL or config)')
    .usage('<command> [options]')
    .option('--config <PATH>', CONFIG_HELP)
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', "show a command's help")
    .addHelpText('after', ENVIRONMENT_HELP)
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      // The descriptions are wrapped by hand.
      helpWidth: 1000,
      // `--to NAME`, as the rest of the documentation writes it.
      optionTerm: (option) => option.flags.replace(/<(\w+)>/, '$1'),
    })
    .exitOverride();
  for (const command of COMMANDS) {
    const sub = root
      .command(command.name)
      .summary(command.summary)
      .description(command.help)
      .addHelpText('after', `\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}`);
    for (const [name, spec] of Object.entries(command.options)) {
      sub.addOption(new Option(spec.type === 'string' ? `--${name} <${spec.value ?? 'VALUE'}>` : `--${name}`, spec.description));
    }
    sub
      .configureOutput({
        writeOut: (text) => io.out(text.trimEnd()),
        writeErr: (text) => io.err(text.trimEnd()),
        outputError: (message) => (chosen.error = { command: command.name, message }),
      })
      .action((_options, cmd: Commander) => {
        const opts = cmd.optsWithGlobals();
        const values: Values = { config: opts.config as string | undefined };
        for (const option of cmd.options) values[option.long!.slice(2)] = opts[option.attributeName()] as string | boolean | undefined;
        chosen.value = { command, values, positionals: cmd.args };
      });
  }
  root.configureOutput({
    writeOut: (text) => io.out(text.trimEnd()),
    writeErr: (text) => io.err(text.trimEnd()),
    outputError: (message) => (chosen.error = { command: '', message }),
  });
  return root;
}

/** A usage error as one line: who, what, and where to look. */
function usageError(error: { command: string; message: string }): string {
  const what = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
  const who = error.command ? `teleclaude-db ${error.command}` : 'teleclaude-db';
  return `${who}: ${what}; run '${who} --help'`;
}

/** Runs the CLI; returns the exit code. Everything it prints goes through `sanitisedIo`. */
export async function main(argv: string[], rawIo: Io): Promise<number> {
  const io = sanitisedIo(rawIo, knownSecrets(argv, rawIo));
  const chosen: { value?: Chosen; error?: { command: string; message: string } } = {};
  const cli = program(io, chosen);
  if (argv.length === 0) {
    io.err(cli.helpInformation().trimEnd());
    return 2;
  }
  try {
    await cli.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
    io.err(usageError(chosen.error ?? { command: '', message: error.message }));
    return 2;
  }
  if (!chosen.value) {
    io.err(cli.helpInformation().trimEnd());
    return 2;
  }
  const { command, values, positionals } = chosen.value;
  try {
    return await command.run(values, positionals, io);
  } catch (error) {
    io.err(`teleclaude-db ${command.name}: ${oneLine(error)}`);
    return 1;
  }
}

function oneLine(error: unknown): string {
  const e = error as Error & { code?: string };
  const text = (e?.message ?? String(error)).split('\n')[0]!;
  return e?.code?.startsWith?.('TC_') ? `${text} [${e.code}]` : text;
}
