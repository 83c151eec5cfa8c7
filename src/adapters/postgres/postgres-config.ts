import { z } from 'zod';
import { networkedFields, nonNegativeInt, portNumber, positiveInt, serverName } from '../../engines/config-fields.js';

/**
 * Parameters a URL may not carry: `options` would override `schema` (pg sends the URL's
 * own `options` instead of this package's `-c search_path=...`), `client_encoding` would
 * make the server transcode text, `replication` opens a replication session.
 */
const REFUSED_URL_PARAMETERS = ['options', 'client_encoding', 'replication'];

/**
 * Why a PostgreSQL URL cannot be used, naming the part (never its value, which may hold a
 * password), or null. A NUL character in any decoded part would end that part in the
 * startup message and let the rest be read as further startup parameters.
 */
export function postgresUrlProblem(url: string): string | null {
  if (!/^postgres(ql)?:\/\//i.test(url)) return 'must start with postgresql:// or postgres://';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Which part is wrong, where it can be told from the text (never quoting it).
    // The userinfo runs to the last @; libpq's form may list several servers (h1:5432,h2:5433).
    const hosts = /^postgres(?:ql)?:\/\/(?:[^?]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
    for (const server of hosts.split(',')) {
      const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(server)?.[1];
      if (port === undefined || port === '') continue;
      if (!/^\d{1,5}$/.test(port)) return 'port must be a number from 1 to 65535';
      if (Number(port) > 65535) return 'port must be at most 65535';
    }
    // Otherwise left to pg to parse (and refuse); only what must never pass is looked for in the text.
    const refused = REFUSED_URL_PARAMETERS.find((key) => new RegExp(`[?&]${key}=`).test(url));
    if (refused) return `parameter ${refused} is not allowed in the URL (set schema and the other settings in the config)`;
    return url.includes('%00') || url.includes('\u0000') ? 'must not contain a NUL character' : null;
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const parts: [string, string][] = [
    ['user', decode(parsed.username)],
    ['password', decode(parsed.password)],
    ['host', decode(parsed.hostname)],
    ['database', decode(parsed.pathname)],
  ];
  for (const [key, value] of parsed.searchParams) {
    if (REFUSED_URL_PARAMETERS.includes(key)) return `parameter ${key} is not allowed in the URL (set schema and the other settings in the config)`;
    parts.push([`parameter ${key}`, key + value]);
  }
  for (const [name, value] of parts) if (value.includes('\u0000')) return `${name} must not contain a NUL character`;
  return null;
}

/** The `database.postgresql` block, every default stated here and only here. */
export const postgresConfigSchema = z
  .object({
    url: z
      .string()
      .superRefine((value, ctx) => {
        const problem = postgresUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    ...networkedFields,
    hosts: z
      .array(
        z
          .object({
            host: serverName,
            port: portNumber.optional(),
          })
          .strict(),
      )
      .min(1, 'must name at least one server')
      .optional(),
    targetSessionAttrs: z.enum(['any', 'read-write'], { error: 'must be "any" or "read-write"' }).optional(),
    pool: z
      .object({
        min: nonNegativeInt.default(0),
        max: positiveInt.default(10),
        idleTimeoutMs: nonNegativeInt.default(30_000),
      })
      .strict()
      .prefault({}),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
      .default('public'),
    instanceLock: z.enum(['lease', 'advisory'], { error: 'must be "lease" or "advisory"' }).default('lease'),
    instanceLockLeaseMs: positiveInt.min(300, 'must be at least 300').default(15_000),
    /** false: `waitForWork` polls instead of LISTEN, and no-transaction migrations are refused (a transaction-mode pooler). */
    listen: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .strict();

export type PostgresConfig = z.output<typeof postgresConfigSchema>;

/**
 * Every default of the block, from the schema (where alone they are stated): what the
 * adapter uses for an option a caller building it directly left out.
 */
export const POSTGRES_DEFAULTS: PostgresConfig = postgresConfigSchema.parse({});
