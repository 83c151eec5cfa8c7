import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { SqliteHookOutboxRepository } from './sqlite-hook-outbox-repository.js';
import { SqliteInboundQueueRepository } from './sqlite-inbound-queue-repository.js';
import { SqliteOperationRepository } from './sqlite-operation-repository.js';
import { SqliteSessionRepository } from './sqlite-session-repository.js';
import { SqliteSettingsRepository } from './sqlite-settings-repository.js';
import { SqliteVoiceRepository } from './sqlite-voice-repository.js';
import { SqliteWebhookRepository } from './sqlite-webhook-repository.js';

/** Every SQLite repository on one executor (the connection, or one transaction), behind the shared validation. */
export function createSqliteRepositories(db: SqliteExecutor, clock: Clock): Repositories {
  return withValidation({
    sessions: new SqliteSessionRepository(db, clock),
    voices: new SqliteVoiceRepository(db, clock),
    settings: new SqliteSettingsRepository(db, clock),
    hookOutbox: new SqliteHookOutboxRepository(db, clock),
    inboundQueue: new SqliteInboundQueueRepository(db, clock),
    operations: new SqliteOperationRepository(db, clock),
    webhooks: new SqliteWebhookRepository(db, clock),
  });
}
