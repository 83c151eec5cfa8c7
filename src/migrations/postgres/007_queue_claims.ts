import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

/* Claim tokens and extended locks on the three TTL-locked queues, dead letter of the hook outbox and inbound queue (see the SQLite twin). */
const TABLES = ['hook_outbox', 'inbound_queue', 'webhook_outbox'];
const DEAD = ['hook_outbox', 'inbound_queue'];

export const migration: Omit<PostgresMigration, 'name'> = {
  up:
    TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN claim_token text, ADD COLUMN lock_expires_at timestamptz;\n`).join('') +
    DEAD.map((t) => `ALTER TABLE ${t} ADD COLUMN dead_at timestamptz;\n`).join(''),
  down:
    DEAD.map((t) => `ALTER TABLE ${t} DROP COLUMN dead_at;\n`).join('') +
    TABLES.map((t) => `ALTER TABLE ${t} DROP COLUMN lock_expires_at, DROP COLUMN claim_token;\n`).join(''),
};
