import { z } from 'zod';

/** Field schemas shared by the engines' config blocks, so that every engine words a refusal the same way. */
export const positiveInt = z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive');
export const nonNegativeInt = z.number({ error: 'must be a number' }).int('must be an integer').nonnegative('must not be negative');
export const portNumber = positiveInt.max(65535, 'must be at most 65535');

/** False when `value` holds a NUL character (which would end the value in a driver's wire message). */
export const noNul = (value: string) => !value.includes('\u0000');

/** A server name, database or user name: not empty, no NUL. */
export const serverName = z.string().min(1, 'must not be empty').refine(noNul, 'must not contain a NUL character');
/** A password: may be empty, no NUL. */
export const password = z.string().refine(noNul, 'must not contain a NUL character');

/** TLS for a networked engine: on/off, or the node `tls` options this package passes on. */
export const sslOptions = z.union([
  z.boolean(),
  z
    .object({
      rejectUnauthorized: z.boolean().optional(),
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
    })
    .strict(),
]);

/** The name a networked engine's server shows for the connection: printable ASCII up to 63 bytes (a NUL would inject startup parameters). */
export const applicationName = z
  .string()
  .regex(/^[\x20-\x7e]*$/, 'must be printable ASCII (no NUL or control characters)')
  .max(63, 'must be at most 63 characters')
  .default('teleclaude');

/** The fields every networked engine's block has, with their defaults (stated here and only here). */
export const networkedFields = {
  host: serverName.optional(),
  port: portNumber.optional(),
  database: serverName.optional(),
  user: serverName.optional(),
  password: password.optional(),
  ssl: sslOptions.default(false),
  statementTimeoutMs: nonNegativeInt.default(30_000),
  connectTimeoutMs: nonNegativeInt.default(10_000),
  migrationLockTimeoutMs: nonNegativeInt.default(10_000),
  applicationName,
};
