import type { Clock } from '../../ports/clock.js';
import { buildRepositories, type Repositories } from '../../ports/repositories.js';
import { MariadbAgentAvailabilityRepository } from './mariadb-agent-availability-repository.js';
import { MariadbConversationLinkRepository } from './mariadb-conversation-link-repository.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { MariadbHookOutboxRepository } from './mariadb-hook-outbox-repository.js';
import { MariadbInboundQueueRepository } from './mariadb-inbound-queue-repository.js';
import { MariadbListenerRepository } from './mariadb-listener-repository.js';
import { MariadbMemoryRepository } from './mariadb-memory-repository.js';
import { MariadbMirrorRepository } from './mariadb-mirror-repository.js';
import { MariadbOperationRepository } from './mariadb-operation-repository.js';
import { MariadbPendingDeletionRepository } from './mariadb-pending-deletion-repository.js';
import { MariadbSessionRepository } from './mariadb-session-repository.js';
import { MariadbSessionTokenRepository } from './mariadb-session-token-repository.js';
import { MariadbSettingsRepository } from './mariadb-settings-repository.js';
import { MariadbVoiceRepository } from './mariadb-voice-repository.js';
import { MariadbWebhookRepository } from './mariadb-webhook-repository.js';

/** Each repository's class; every one takes the executor and the clock. */
const CLASSES: { [K in keyof Repositories]: new (db: MariadbExecutor, clock: Clock) => Repositories[K] } = {
  sessions: MariadbSessionRepository,
  voices: MariadbVoiceRepository,
  settings: MariadbSettingsRepository,
  hookOutbox: MariadbHookOutboxRepository,
  inboundQueue: MariadbInboundQueueRepository,
  operations: MariadbOperationRepository,
  webhooks: MariadbWebhookRepository,
  pendingDeletions: MariadbPendingDeletionRepository,
  agentAvailability: MariadbAgentAvailabilityRepository,
  listeners: MariadbListenerRepository,
  conversationLinks: MariadbConversationLinkRepository,
  sessionTokens: MariadbSessionTokenRepository,
  memory: MariadbMemoryRepository,
  mirrors: MariadbMirrorRepository,
};

/**
 * Every MariaDB repository on one executor (the pool, or one transaction), behind the
 * shared validation. `lazy`: each one built when first used (a transaction's `tx`).
 */
export function createMariadbRepositories(db: MariadbExecutor, clock: Clock, lazy = false): Repositories {
  return buildRepositories(<K extends keyof Repositories>(name: K): Repositories[K] => new CLASSES[name](db, clock), db.observer, lazy);
}
