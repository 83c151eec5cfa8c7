import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
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

/** Every MariaDB repository on one executor (the pool, or one transaction), behind the shared validation. */
export function createMariadbRepositories(db: MariadbExecutor, clock: Clock): Repositories {
  return withValidation(
    {
      sessions: new MariadbSessionRepository(db, clock),
      voices: new MariadbVoiceRepository(db, clock),
      settings: new MariadbSettingsRepository(db, clock),
      hookOutbox: new MariadbHookOutboxRepository(db, clock),
      inboundQueue: new MariadbInboundQueueRepository(db, clock),
      operations: new MariadbOperationRepository(db, clock),
      webhooks: new MariadbWebhookRepository(db, clock),
      pendingDeletions: new MariadbPendingDeletionRepository(db, clock),
      agentAvailability: new MariadbAgentAvailabilityRepository(db, clock),
      listeners: new MariadbListenerRepository(db, clock),
      conversationLinks: new MariadbConversationLinkRepository(db, clock),
      sessionTokens: new MariadbSessionTokenRepository(db, clock),
      memory: new MariadbMemoryRepository(db, clock),
      mirrors: new MariadbMirrorRepository(db, clock),
    },
    db.observer,
  );
}
