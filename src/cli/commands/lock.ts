import { createInstanceLock } from '../../container.js';
import { describeHolder } from '../../ports/instance-lock.js';
import { configOf, type Command } from '../command.js';

export const lockCommand: Command = {
  name: 'lock',
  summary: 'show who holds the single-instance lock of the database (or "free")',
  options: {
    json: { type: 'boolean', description: 'print {"lock": ..., "held": bool, "holder": {...}} instead of text' },
  },
  help: `Shows whether a daemon holds the database's single-instance lock and, as far as the
engine can tell, which process: pid, host and start time (SQLite, from <database>.lock;
PostgreSQL, from the lease row, with its expiry and epoch), or with instanceLock: advisory
the holding connection's application name, client address and start.
Takes nothing and exits 0 either way; use --json in scripts.`,
  examples: [
    'teleclaude-db lock',
    'teleclaude-db lock --json | jq .held',
  ],
  async run(values, _positionals, io) {
    const lock = createInstanceLock(configOf(values, io));
    const holder = await lock.holder();
    if (values.json) io.out(JSON.stringify({ lock: lock.description, held: holder !== null, holder }, null, 2));
    else io.out(holder ? `${lock.description}: held by ${describeHolder(holder)}` : `${lock.description}: free`);
    return 0;
  },
};
