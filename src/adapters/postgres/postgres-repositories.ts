import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
import type { PostgresExecutor } from './postgres-database.js';
import { PostgresHookOutboxRepository } from './postgres-hook-outbox-repository.js';
import { PostgresInboundQueueRepository } from './postgres-inbound-queue-repository.js';
import { PostgresOperationRepository } from './postgres-operation-repository.js';
import { PostgresSessionRepository } from './postgres-session-repository.js';
import { PostgresSettingsRepository } from './postgres-settings-repository.js';
import { PostgresVoiceRepository } from './postgres-voice-repository.js';
import { PostgresWebhookRepository } from './postgres-webhook-repository.js';

/** Every PostgreSQL repository on one executor (the pool, or one transaction), behind the shared validation. */
export function createPostgresRepositories(db: PostgresExecutor, clock: Clock): Repositories {
  return withValidation({
    sessions: new PostgresSessionRepository(db, clock),
    voices: new PostgresVoiceRepository(db, clock),
    settings: new PostgresSettingsRepository(db, clock),
    hookOutbox: new PostgresHookOutboxRepository(db, clock),
    inboundQueue: new PostgresInboundQueueRepository(db, clock),
    operations: new PostgresOperationRepository(db, clock),
    webhooks: new PostgresWebhookRepository(db, clock),
  });
}
