import { defineEngine } from '../../engines/engine.js';
import { maskSecrets, normalizePostgresUrl, passwordAndUrlSecrets } from '../../config/secrets.js';
import { postgresConfigSchema, type PostgresConfig } from './postgres-config.js';

export { postgresConfigSchema, postgresUrlProblem, type PostgresConfig } from './postgres-config.js';

/** Where the configured database lives, fit to print: the URL (password masked) or the parts, and a schema other than public. */
function describeLocation(pg: PostgresConfig): string {
  if (pg.url) {
    const url = maskSecrets(pg.url, pg.password);
    return pg.schema === 'public' ? url : `${url} (schema ${pg.schema})`;
  }
  const user = pg.user ? `${pg.user}${pg.password ? ':****' : ''}@` : '';
  const servers = pg.hosts?.map((h) => `${h.host}:${h.port ?? 5432}`).join(',') ?? `${pg.host ?? 'localhost'}:${pg.port ?? 5432}`;
  const where = `postgresql://${user}${servers}/${pg.database ?? pg.user ?? ''}`;
  return pg.schema === 'public' ? where : `${where} (schema ${pg.schema})`;
}

/** The URL (or the parts) without the password, the schema when not public; and the password. */
function daemonSettings(pg: PostgresConfig): { settings: Record<string, unknown>; password: string | null } {
  const schema = pg.schema === 'public' ? {} : { schema: pg.schema };
  if (!pg.url) {
    const parts = Object.fromEntries(Object.entries({ host: pg.host, port: pg.port, hosts: pg.hosts, database: pg.database, user: pg.user }).filter(([, v]) => v !== undefined));
    return { settings: { ...parts, ...schema }, password: pg.password ?? null };
  }
  const url = new URL(pg.url);
  const password = url.password ? decodeURIComponent(url.password) : (url.searchParams.get('password') ?? pg.password ?? null);
  url.password = '';
  url.searchParams.delete('password');
  return { settings: { url: url.toString(), ...schema }, password };
}

/** PostgreSQL (pg): a server shared by many daemons and CLIs. */
export const postgresEngine = defineEngine({
  name: 'postgresql',
  label: 'PostgreSQL',
  driver: 'pg',
  schemes: ['postgresql', 'postgres'],
  acceptsPath: false,
  config: postgresConfigSchema,
  env: [
    { variable: 'PGHOST', key: 'host' },
    { variable: 'PGPORT', key: 'port', numeric: true },
    { variable: 'PGDATABASE', key: 'database' },
    { variable: 'PGUSER', key: 'user' },
    { variable: 'PGPASSWORD', key: 'password', secret: true },
  ],
  urlKey: 'url',
  capabilities: {},
  locationConfig: (location) => ({ url: location }),
  // A copy's statements (COPY of a whole table, index builds) may take longer than any timeout.
  bulkSettings: { statementTimeoutMs: 0 },
  normalize: (block) => (block.url ? { ...block, url: normalizePostgresUrl(block.url) } : block),
  describeLocation,
  localFile: () => null,
  daemonSettings,
  secrets: passwordAndUrlSecrets,
  maintenanceIntervalMs: () => 0,
  // Opening a database never creates it.
  missingDatabase: () => null,
  load: async () => (await import('./postgres-implementation.js')).postgresImplementation,
});
