import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
import { PostgresAgentAvailabilityRepository } from './postgres-agent-availability-repository.js';
import { PostgresConversationLinkRepository } from './postgres-conversation-link-repository.js';
import type { PostgresExecutor } from './postgres-database.js';
import { PostgresHookOutboxRepository } from './postgres-hook-outbox-repository.js';
import { PostgresInboundQueueRepository } from './postgres-inbound-queue-repository.js';
import { PostgresOperationRepository } from './postgres-operation-repository.js';
import { PostgresListenerRepository } from './postgres-listener-repository.js';
import { PostgresMemoryRepository } from './postgres-memory-repository.js';
import { PostgresMirrorRepository } from './postgres-mirror-repository.js';
import { PostgresPendingDeletionRepository } from './postgres-pending-deletion-repository.js';
import { PostgresSessionRepository } from './postgres-session-repository.js';
import { PostgresSessionTokenRepository } from './postgres-session-token-repository.js';
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
    pendingDeletions: new PostgresPendingDeletionRepository(db, clock),
    agentAvailability: new PostgresAgentAvailabilityRepository(db, clock),
    listeners: new PostgresListenerRepository(db, clock),
    conversationLinks: new PostgresConversationLinkRepository(db, clock),
    sessionTokens: new PostgresSessionTokenRepository(db, clock),
    memory: new PostgresMemoryRepository(db, clock),
    mirrors: new PostgresMirrorRepository(db, clock),
  }, db.observer);
}
