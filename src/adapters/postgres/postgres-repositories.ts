import type { Clock } from '../../ports/clock.js';
import { buildRepositories, type Repositories } from '../../ports/repositories.js';
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

/** Each repository's class; every one takes the executor and the clock. */
const CLASSES: { [K in keyof Repositories]: new (db: PostgresExecutor, clock: Clock) => Repositories[K] } = {
  sessions: PostgresSessionRepository,
  voices: PostgresVoiceRepository,
  settings: PostgresSettingsRepository,
  hookOutbox: PostgresHookOutboxRepository,
  inboundQueue: PostgresInboundQueueRepository,
  operations: PostgresOperationRepository,
  webhooks: PostgresWebhookRepository,
  pendingDeletions: PostgresPendingDeletionRepository,
  agentAvailability: PostgresAgentAvailabilityRepository,
  listeners: PostgresListenerRepository,
  conversationLinks: PostgresConversationLinkRepository,
  sessionTokens: PostgresSessionTokenRepository,
  memory: PostgresMemoryRepository,
  mirrors: PostgresMirrorRepository,
};

/**
 * Every PostgreSQL repository on one executor (the pool, or one transaction), behind the
 * shared validation. `lazy`: each one built when first used (a transaction's `tx`).
 */
export function createPostgresRepositories(db: PostgresExecutor, clock: Clock, lazy = false): Repositories {
  return buildRepositories(<K extends keyof Repositories>(name: K): Repositories[K] => new CLASSES[name](db, clock), db.observer, lazy);
}
