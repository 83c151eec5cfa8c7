import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';

/*
 * Indexes the daemon's queries relied on, restored where a port query uses them (see the
 * SQLite twin for which query uses which). The PostgreSQL twin also moves its search
 * vectors to the words of domain/search.ts; here they were those words from the start
 * (003, mariadb-fts.ts).
 */
export const migration: Omit<MariadbMigration, 'name'> = {
  up: `
CREATE INDEX idx_memory_observations_project_type ON memory_observations (project, type, created_at);
CREATE INDEX idx_memory_observations_project_identity_key ON memory_observations (project, identity_key);
CREATE INDEX idx_webhook_contracts_active ON webhook_contracts (active, id);
`,
  down: `
DROP INDEX idx_webhook_contracts_active ON webhook_contracts;
DROP INDEX idx_memory_observations_project_identity_key ON memory_observations;
DROP INDEX idx_memory_observations_project_type ON memory_observations;
`,
};
