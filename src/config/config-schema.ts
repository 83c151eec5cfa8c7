import { z } from 'zod';

const positiveInt = z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive');
const nonNegativeInt = z.number({ error: 'must be a number' }).int('must be an integer').nonnegative('must not be negative');

const sslSchema = z.union([
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

export const sqliteConfigSchema = z
  .object({
    path: z.string().min(1, 'must not be empty').default('~/.teleclaude/teleclaude.db'),
    busyTimeoutMs: nonNegativeInt.default(5000),
    /** How often openStore checkpoints the WAL (0 = only at close). */
    checkpointIntervalMs: nonNegativeInt.default(300_000),
  })
  .strict();

export const postgresConfigSchema = z
  .object({
    url: z
      .string()
      .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must start with postgresql:// or postgres://')
      .optional(),
    host: z.string().min(1, 'must not be empty').optional(),
    hosts: z
      .array(z.object({ host: z.string().min(1, 'must not be empty'), port: positiveInt.max(65535, 'must be at most 65535').optional() }).strict())
      .min(1, 'must name at least one server')
      .optional(),
    targetSessionAttrs: z.enum(['any', 'read-write'], { error: 'must be "any" or "read-write"' }).optional(),
    port: positiveInt.max(65535, 'must be at most 65535').optional(),
    database: z.string().min(1, 'must not be empty').optional(),
    user: z.string().min(1, 'must not be empty').optional(),
    password: z.string().optional(),
    pool: z
      .object({
        min: nonNegativeInt.default(0),
        max: positiveInt.default(10),
        idleTimeoutMs: nonNegativeInt.default(30_000),
      })
      .strict()
      .prefault({}),
    ssl: sslSchema.default(false),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
      .default('public'),
    statementTimeoutMs: nonNegativeInt.default(30_000),
    connectTimeoutMs: nonNegativeInt.default(10_000),
    instanceLock: z.enum(['lease', 'advisory'], { error: 'must be "lease" or "advisory"' }).default('lease'),
    instanceLockLeaseMs: positiveInt.min(300, 'must be at least 300').default(15_000),
    migrationLockTimeoutMs: nonNegativeInt.default(10_000),
    applicationName: z.string().default('teleclaude'),
  })
  .strict();

/** The `database:` block of teleclaude.yml, with every default filled in. */
export const databaseConfigSchema = z
  .object({
    engine: z.enum(['sqlite', 'postgresql'], { error: 'must be "sqlite" or "postgresql"' }).default('sqlite'),
    sqlite: sqliteConfigSchema.prefault({}),
    postgresql: postgresConfigSchema.prefault({}),
  })
  .strict();

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;
export type DatabaseConfigInput = z.input<typeof databaseConfigSchema>;
export type SqliteConfig = DatabaseConfig['sqlite'];
export type PostgresConfig = DatabaseConfig['postgresql'];
