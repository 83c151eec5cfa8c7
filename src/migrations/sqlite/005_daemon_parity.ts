import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * Indexes the daemon's queries relied on, restored where a port query uses them:
 * recent observations of one type (MemoryRepository.recent with `type`), identity-scoped
 * memory of a project (recent and search with `identityKey`: the daemon's
 * idx_memory_obs_identity), and the active webhook contracts (listContracts activeOnly,
 * in id order). The daemon's index on session_tokens(expires_at) is not restored: no
 * query of the daemon or of the ports selects tokens by expiry (validate reads one token
 * by its key).
 */
export const migration: Omit<SqliteMigration, 'name'> = {
  up: `
CREATE INDEX idx_memory_observations_project_type ON memory_observations (project, type, created_at);
CREATE INDEX idx_memory_observations_project_identity_key ON memory_observations (project, identity_key);
CREATE INDEX idx_webhook_contracts_active ON webhook_contracts (active, id);
`,
  down: `
DROP INDEX idx_webhook_contracts_active;
DROP INDEX idx_memory_observations_project_identity_key;
DROP INDEX idx_memory_observations_project_type;
`,
};
