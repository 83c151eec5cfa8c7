import { defineEngine } from '../../engines/engine.js';
import { maskSecrets, normalizePostgresUrl, passwordAndUrlSecrets } from '../../config/secrets.js';
import { mariadbConfigSchema, type MariadbConfig } from './mariadb-config.js';

export { mariadbConfigSchema, type MariadbConfig } from './mariadb-config.js';

/** Where the configured database lives, fit to print: the URL (password masked) or the parts. */
function describeLocation(block: MariadbConfig): string {
  if (block.url) return maskSecrets(block.url, block.password);
  const user = block.user ? `${block.user}${block.password ? ':****' : ''}@` : '';
  return `mariadb://${user}${block.host ?? 'localhost'}:${block.port ?? 3306}/${block.database ?? ''}`;
}

/** The URL (or the parts) without the password; and the password. */
function daemonSettings(block: MariadbConfig): { settings: Record<string, unknown>; password: string | null } {
  if (!block.url) {
    const parts = Object.fromEntries(Object.entries({ host: block.host, port: block.port, database: block.database, user: block.user }).filter(([, v]) => v !== undefined));
    return { settings: parts, password: block.password ?? null };
  }
  const url = new URL(block.url);
  const password = url.password ? decodeURIComponent(url.password) : (block.password ?? null);
  url.password = '';
  return { settings: { url: url.toString() }, password };
}

/**
 * MariaDB (mysql2): a server shared by many daemons and CLIs, like PostgreSQL. DDL
 * commits on its own, there are no partial indexes and UPDATE has no RETURNING.
 */
export const mariadbEngine = defineEngine({
  name: 'mariadb',
  label: 'MariaDB',
  driver: 'mysql2',
  schemes: ['mariadb', 'mysql'],
  acceptsPath: false,
  config: mariadbConfigSchema,
  env: [
    { variable: 'MYSQL_HOST', key: 'host' },
    { variable: 'MYSQL_TCP_PORT', key: 'port', numeric: true },
    { variable: 'MYSQL_PWD', key: 'password', secret: true },
  ],
  urlKey: 'url',
  capabilities: { transactionalDdl: false, partialIndexes: false, returningOnUpdate: false },
  locationConfig: (location) => ({ url: location }),
  // A copy's statements (a whole table's INSERTs, a key check over a big table) may take longer than any timeout.
  bulkSettings: { statementTimeoutMs: 0 },
  normalize: (block) => (block.url ? { ...block, url: normalizePostgresUrl(block.url) } : block),
  describeLocation,
  localFile: () => null,
  daemonSettings,
  secrets: passwordAndUrlSecrets,
  maintenanceIntervalMs: () => 0,
  // Opening a database never creates it.
  missingDatabase: () => null,
  load: async () => (await import('./mariadb-implementation.js')).mariadbImplementation,
});
