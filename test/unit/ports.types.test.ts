import { describe, expectTypeOf, it } from 'vitest';
import { PostgresAgentAvailabilityRepository } from '../../src/adapters/postgres/postgres-agent-availability-repository.js';
import { SqliteAgentAvailabilityRepository } from '../../src/adapters/sqlite/sqlite-agent-availability-repository.js';
import type { AgentAvailabilityRepository } from '../../src/ports/agent-availability-repository.js';
import { PostgresConversationLinkRepository } from '../../src/adapters/postgres/postgres-conversation-link-repository.js';
import { SqliteConversationLinkRepository } from '../../src/adapters/sqlite/sqlite-conversation-link-repository.js';
import type { ConversationLinkRepository } from '../../src/ports/conversation-link-repository.js';
import { PostgresHookOutboxRepository } from '../../src/adapters/postgres/postgres-hook-outbox-repository.js';
import { SqliteHookOutboxRepository } from '../../src/adapters/sqlite/sqlite-hook-outbox-repository.js';
import type { HookOutboxRepository } from '../../src/ports/hook-outbox-repository.js';
import { PostgresInboundQueueRepository } from '../../src/adapters/postgres/postgres-inbound-queue-repository.js';
import { SqliteInboundQueueRepository } from '../../src/adapters/sqlite/sqlite-inbound-queue-repository.js';
import type { InboundQueueRepository } from '../../src/ports/inbound-queue-repository.js';
import { PostgresListenerRepository } from '../../src/adapters/postgres/postgres-listener-repository.js';
import { SqliteListenerRepository } from '../../src/adapters/sqlite/sqlite-listener-repository.js';
import type { ListenerRepository } from '../../src/ports/listener-repository.js';
import { PostgresMemoryRepository } from '../../src/adapters/postgres/postgres-memory-repository.js';
import { SqliteMemoryRepository } from '../../src/adapters/sqlite/sqlite-memory-repository.js';
import type { MemoryRepository } from '../../src/ports/memory-repository.js';
import { PostgresMirrorRepository } from '../../src/adapters/postgres/postgres-mirror-repository.js';
import { SqliteMirrorRepository } from '../../src/adapters/sqlite/sqlite-mirror-repository.js';
import type { MirrorRepository } from '../../src/ports/mirror-repository.js';
import { PostgresOperationRepository } from '../../src/adapters/postgres/postgres-operation-repository.js';
import { SqliteOperationRepository } from '../../src/adapters/sqlite/sqlite-operation-repository.js';
import type { OperationRepository } from '../../src/ports/operation-repository.js';
import { PostgresPendingDeletionRepository } from '../../src/adapters/postgres/postgres-pending-deletion-repository.js';
import { SqlitePendingDeletionRepository } from '../../src/adapters/sqlite/sqlite-pending-deletion-repository.js';
import type { PendingDeletionRepository } from '../../src/ports/pending-deletion-repository.js';
import { PostgresSessionRepository } from '../../src/adapters/postgres/postgres-session-repository.js';
import { SqliteSessionRepository } from '../../src/adapters/sqlite/sqlite-session-repository.js';
import type { SessionRepository } from '../../src/ports/session-repository.js';
import { PostgresSessionTokenRepository } from '../../src/adapters/postgres/postgres-session-token-repository.js';
import { SqliteSessionTokenRepository } from '../../src/adapters/sqlite/sqlite-session-token-repository.js';
import type { SessionTokenRepository } from '../../src/ports/session-token-repository.js';
import { PostgresSettingsRepository } from '../../src/adapters/postgres/postgres-settings-repository.js';
import { SqliteSettingsRepository } from '../../src/adapters/sqlite/sqlite-settings-repository.js';
import type { SettingsRepository } from '../../src/ports/settings-repository.js';
import { PostgresVoiceRepository } from '../../src/adapters/postgres/postgres-voice-repository.js';
import { SqliteVoiceRepository } from '../../src/adapters/sqlite/sqlite-voice-repository.js';
import type { VoiceRepository } from '../../src/ports/voice-repository.js';
import { PostgresWebhookRepository } from '../../src/adapters/postgres/postgres-webhook-repository.js';
import { SqliteWebhookRepository } from '../../src/adapters/sqlite/sqlite-webhook-repository.js';
import type { WebhookRepository } from '../../src/ports/webhook-repository.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../../src/ports/store.js';

type Public<T> = { [K in keyof T]: T[K] };

describe('adapters match their ports exactly (no missing, no extra public members)', () => {
  it('agent-availability repositories', () => {
    expectTypeOf<Public<SqliteAgentAvailabilityRepository>>().toEqualTypeOf<AgentAvailabilityRepository>();
    expectTypeOf<Public<PostgresAgentAvailabilityRepository>>().toEqualTypeOf<AgentAvailabilityRepository>();
  });
  it('conversation-link repositories', () => {
    expectTypeOf<Public<SqliteConversationLinkRepository>>().toEqualTypeOf<ConversationLinkRepository>();
    expectTypeOf<Public<PostgresConversationLinkRepository>>().toEqualTypeOf<ConversationLinkRepository>();
  });
  it('hook-outbox repositories', () => {
    expectTypeOf<Public<SqliteHookOutboxRepository>>().toEqualTypeOf<HookOutboxRepository>();
    expectTypeOf<Public<PostgresHookOutboxRepository>>().toEqualTypeOf<HookOutboxRepository>();
  });
  it('inbound-queue repositories', () => {
    expectTypeOf<Public<SqliteInboundQueueRepository>>().toEqualTypeOf<InboundQueueRepository>();
    expectTypeOf<Public<PostgresInboundQueueRepository>>().toEqualTypeOf<InboundQueueRepository>();
  });
  it('listener repositories', () => {
    expectTypeOf<Public<SqliteListenerRepository>>().toEqualTypeOf<ListenerRepository>();
    expectTypeOf<Public<PostgresListenerRepository>>().toEqualTypeOf<ListenerRepository>();
  });
  it('memory repositories', () => {
    expectTypeOf<Public<SqliteMemoryRepository>>().toEqualTypeOf<MemoryRepository>();
    expectTypeOf<Public<PostgresMemoryRepository>>().toEqualTypeOf<MemoryRepository>();
  });
  it('mirror repositories', () => {
    expectTypeOf<Public<SqliteMirrorRepository>>().toEqualTypeOf<MirrorRepository>();
    expectTypeOf<Public<PostgresMirrorRepository>>().toEqualTypeOf<MirrorRepository>();
  });
  it('operation repositories', () => {
    expectTypeOf<Public<SqliteOperationRepository>>().toEqualTypeOf<OperationRepository>();
    expectTypeOf<Public<PostgresOperationRepository>>().toEqualTypeOf<OperationRepository>();
  });
  it('pending-deletion repositories', () => {
    expectTypeOf<Public<SqlitePendingDeletionRepository>>().toEqualTypeOf<PendingDeletionRepository>();
    expectTypeOf<Public<PostgresPendingDeletionRepository>>().toEqualTypeOf<PendingDeletionRepository>();
  });
  it('session repositories', () => {
    expectTypeOf<Public<SqliteSessionRepository>>().toEqualTypeOf<SessionRepository>();
    expectTypeOf<Public<PostgresSessionRepository>>().toEqualTypeOf<SessionRepository>();
  });
  it('session-token repositories', () => {
    expectTypeOf<Public<SqliteSessionTokenRepository>>().toEqualTypeOf<SessionTokenRepository>();
    expectTypeOf<Public<PostgresSessionTokenRepository>>().toEqualTypeOf<SessionTokenRepository>();
  });
  it('settings repositories', () => {
    expectTypeOf<Public<SqliteSettingsRepository>>().toEqualTypeOf<SettingsRepository>();
    expectTypeOf<Public<PostgresSettingsRepository>>().toEqualTypeOf<SettingsRepository>();
  });
  it('voice repositories', () => {
    expectTypeOf<Public<SqliteVoiceRepository>>().toEqualTypeOf<VoiceRepository>();
    expectTypeOf<Public<PostgresVoiceRepository>>().toEqualTypeOf<VoiceRepository>();
  });
  it('webhook repositories', () => {
    expectTypeOf<Public<SqliteWebhookRepository>>().toEqualTypeOf<WebhookRepository>();
    expectTypeOf<Public<PostgresWebhookRepository>>().toEqualTypeOf<WebhookRepository>();
  });
  it('stores implement Store', () => {
    expectTypeOf<SqliteStore>().toExtend<Store>();
    expectTypeOf<PostgresStore>().toExtend<Store>();
  });
});
