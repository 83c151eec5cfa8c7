import { z } from 'zod';
import { ConfigError } from '../../domain/errors.js';
import { networkedFields, nonNegativeInt, positiveInt } from '../../engines/config-fields.js';

/** What a `mariadb://` (or `mysql://`) URL names. */
export interface MariadbUrlParts {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: boolean;
}

/** The URL parameters this package reads; any other is refused rather than silently ignored. */
const URL_PARAMETERS = ['ssl'];

/**
 * The parts of a MariaDB URL, or why it cannot be used (naming the part, never its
 * value, which may hold a password).
 */
export function parseMariadbUrlParts(url: string): MariadbUrlParts | string {
  if (!/^(mariadb|mysql):\/\//i.test(url)) return 'must start with mariadb:// or mysql://';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a well-formed URL (mariadb://user:password@host:port/database)';
  }
  for (const key of parsed.searchParams.keys()) {
    if (!URL_PARAMETERS.includes(key)) return `parameter ${key} is not read (only ${URL_PARAMETERS.join(', ')}); set the other settings in the config`;
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const parts = { user: decode(parsed.username), password: decode(parsed.password), host: decode(parsed.hostname), database: decode(parsed.pathname.replace(/^\//, '')) };
  for (const [name, value] of Object.entries(parts)) if (value.includes('\u0000')) return `${name} must not contain a NUL character`;
  if (parts.database.includes('/')) return 'database must be one name (no /)';
  const ssl = parsed.searchParams.get('ssl');
  if (ssl !== null && !['true', 'false', '1', '0', 'require'].includes(ssl)) return 'parameter ssl must be true or false';
  return {
    host: parts.host.replace(/^\[|\]$/g, '') || 'localhost',
    port: parsed.port ? Number(parsed.port) : 3306,
    ...(parts.user ? { user: parts.user } : {}),
    ...(parsed.password ? { password: parts.password } : {}),
    ...(parts.database ? { database: parts.database } : {}),
    ...(ssl !== null ? { ssl: ssl === 'true' || ssl === '1' || ssl === 'require' } : {}),
  };
}

/** The parts of a MariaDB URL; a ConfigError naming `database.mariadb.url` when it cannot be used. */
export function parseMariadbUrl(url: string): MariadbUrlParts {
  const parts = parseMariadbUrlParts(url);
  if (typeof parts === 'string') throw new ConfigError('database.mariadb.url', parts);
  return parts;
}

/** The `database.mariadb` block, every default stated here and only here. */
export const mariadbConfigSchema = z
  .object({
    url: z
      .string()
      .superRefine((value, ctx) => {
        const parts = parseMariadbUrlParts(value);
        if (typeof parts === 'string') ctx.addIssue({ code: 'custom', message: parts });
      })
      .optional(),
    ...networkedFields,
    pool: z
      .object({
        max: positiveInt.default(10),
        idleTimeoutMs: nonNegativeInt.default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type MariadbConfig = z.output<typeof mariadbConfigSchema>;

/**
 * Every default of the block, from the schema (where alone they are stated): what the
 * adapter uses for an option a caller building it directly left out.
 */
export const MARIADB_DEFAULTS: MariadbConfig = mariadbConfigSchema.parse({});
