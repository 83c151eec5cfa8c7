import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';

/* Claim tokens and extended locks on the three TTL-locked queues, dead letter of the hook outbox and inbound queue (see the SQLite twin). */
const TABLES = ['hook_outbox', 'inbound_queue', 'webhook_outbox'];
const DEAD = ['hook_outbox', 'inbound_queue'];

export const migration: Omit<MariadbMigration, 'name'> = {
  up:
    TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN claim_token VARCHAR(255), ADD COLUMN lock_expires_at BIGINT COMMENT 'timestamp';\n`).join('') +
    DEAD.map((t) => `ALTER TABLE ${t} ADD COLUMN dead_at BIGINT COMMENT 'timestamp';\n`).join(''),
  down:
    DEAD.map((t) => `ALTER TABLE ${t} DROP COLUMN dead_at;\n`).join('') +
    TABLES.map((t) => `ALTER TABLE ${t} DROP COLUMN lock_expires_at, DROP COLUMN claim_token;\n`).join(''),
};
