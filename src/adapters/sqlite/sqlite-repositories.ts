import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
import { SqliteAgentAvailabilityRepository } from './sqlite-agent-availability-repository.js';
import { SqliteConversationLinkRepository } from './sqlite-conversation-link-repository.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { SqliteHookOutboxRepository } from './sqlite-hook-outbox-repository.js';
import { SqliteInboundQueueRepository } from './sqlite-inbound-queue-repository.js';
import { SqliteOperationRepository } from './sqlite-operation-repository.js';
import { SqliteListenerRepository } from './sqlite-listener-repository.js';
import { SqliteMemoryRepository } from './sqlite-memory-repository.js';
import { SqliteMirrorRepository } from './sqlite-mirror-repository.js';
import { SqlitePendingDeletionRepository } from './sqlite-pending-deletion-repository.js';
import { SqliteSessionRepository } from './sqlite-session-repository.js';
import { SqliteSessionTokenRepository } from './sqlite-session-token-repository.js';
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
    pendingDeletions: new SqlitePendingDeletionRepository(db, clock),
    agentAvailability: new SqliteAgentAvailabilityRepository(db, clock),
    listeners: new SqliteListenerRepository(db, clock),
    conversationLinks: new SqliteConversationLinkRepository(db, clock),
    sessionTokens: new SqliteSessionTokenRepository(db, clock),
    memory: new SqliteMemoryRepository(db, clock),
    mirrors: new SqliteMirrorRepository(db, clock),
  }, db.observer);
}
