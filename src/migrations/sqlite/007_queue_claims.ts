import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * Claim tokens on the three TTL-locked queues: `claim_token` is the random value of the claim
 * that holds (or last finished) the row, and every mark must present it; `lock_expires_at` is
 * set by `extend` (null until then): the row stays held until both its lock is older than the
 * claimer's TTL and this instant has passed. Rows locked before this migration carry no token,
 * so no one can mark them until their lock goes stale and they are claimed again.
 * `dead_at` puts a hook event or an inbound message in the dead letter (its last failure
 * reached the caller's maxAttempts): never claimed again until `redrive`. The webhook outbox
 * keeps its dead_letter status.
 */
const TABLES = ['hook_outbox', 'inbound_queue', 'webhook_outbox'];
const DEAD = ['hook_outbox', 'inbound_queue'];

export const migration: Omit<SqliteMigration, 'name'> = {
  up:
    TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN claim_token TEXT;\nALTER TABLE ${t} ADD COLUMN lock_expires_at INTEGER_MS;\n`).join('') +
    DEAD.map((t) => `ALTER TABLE ${t} ADD COLUMN dead_at INTEGER_MS;\n`).join(''),
  down:
    DEAD.map((t) => `ALTER TABLE ${t} DROP COLUMN dead_at;\n`).join('') +
    TABLES.map((t) => `ALTER TABLE ${t} DROP COLUMN lock_expires_at;\nALTER TABLE ${t} DROP COLUMN claim_token;\n`).join(''),
};
