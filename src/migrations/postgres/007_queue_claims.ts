import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

/* Claim tokens and extended locks on the three TTL-locked queues (see the SQLite twin). */
const TABLES = ['hook_outbox', 'inbound_queue', 'webhook_outbox'];

export const migration: Omit<PostgresMigration, 'name'> = {
  up: TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN claim_token text, ADD COLUMN lock_expires_at timestamptz;\n`).join(''),
  down: TABLES.map((t) => `ALTER TABLE ${t} DROP COLUMN lock_expires_at, DROP COLUMN claim_token;\n`).join(''),
};
