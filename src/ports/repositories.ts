import { hookOutboxRepositoryInputs, type HookOutboxRepository } from './hook-outbox-repository.js';
import { inboundQueueRepositoryInputs, type InboundQueueRepository } from './inbound-queue-repository.js';
import { operationRepositoryInputs, type OperationRepository } from './operation-repository.js';
import { agentAvailabilityRepositoryInputs, type AgentAvailabilityRepository } from './agent-availability-repository.js';
import { conversationLinkRepositoryInputs, type ConversationLinkRepository } from './conversation-link-repository.js';
import { listenerRepositoryInputs, type ListenerRepository } from './listener-repository.js';
import { memoryRepositoryInputs, type MemoryRepository } from './memory-repository.js';
import { mirrorRepositoryInputs, type MirrorRepository } from './mirror-repository.js';
import { pendingDeletionRepositoryInputs, type PendingDeletionRepository } from './pending-deletion-repository.js';
import { sessionRepositoryInputs, type SessionRepository } from './session-repository.js';
import { sessionTokenRepositoryInputs, type SessionTokenRepository } from './session-token-repository.js';
import { settingsRepositoryInputs, type SettingsRepository } from './settings-repository.js';
import { validated, type InputSchemas } from './validation.js';
import type { QueryObserver } from '../observability.js';
import { voiceRepositoryInputs, type VoiceRepository } from './voice-repository.js';
import { webhookRepositoryInputs, type WebhookRepository } from './webhook-repository.js';

/**
 * Every repository of the domain. `Store.repositories` and a transaction's `tx` are this.
 *
 * What can be stored (domain/content.ts), the same on every engine: every argument of
 * every member, reads included, is refused with a ValidationError naming the field, and
 * nothing is written, when it holds text (also inside JSON: strings and object keys) with
 * a NUL character (U+0000) or a lone surrogate, JSON nested deeper than MAX_JSON_DEPTH
 * (100) arrays/objects, or a date outside years 1 to 9999 (UTC). Such values are refused,
 * never altered. A mirror or memory observation whose search index would exceed
 * MAX_SEARCH_INDEX_BYTES (domain/search.ts) is refused too. Everything else comes back
 * exactly as written.
 */
export interface Repositories {
  sessions: SessionRepository;
  voices: VoiceRepository;
  settings: SettingsRepository;
  hookOutbox: HookOutboxRepository;
  inboundQueue: InboundQueueRepository;
  operations: OperationRepository;
  webhooks: WebhookRepository;
  pendingDeletions: PendingDeletionRepository;
  agentAvailability: AgentAvailabilityRepository;
  listeners: ListenerRepository;
  conversationLinks: ConversationLinkRepository;
  sessionTokens: SessionTokenRepository;
  memory: MemoryRepository;
  mirrors: MirrorRepository;
}

const inputs: { [K in keyof Repositories]: InputSchemas<Repositories[K]> } = {
  sessions: sessionRepositoryInputs,
  voices: voiceRepositoryInputs,
  settings: settingsRepositoryInputs,
  hookOutbox: hookOutboxRepositoryInputs,
  inboundQueue: inboundQueueRepositoryInputs,
  operations: operationRepositoryInputs,
  webhooks: webhookRepositoryInputs,
  pendingDeletions: pendingDeletionRepositoryInputs,
  agentAvailability: agentAvailabilityRepositoryInputs,
  listeners: listenerRepositoryInputs,
  conversationLinks: conversationLinkRepositoryInputs,
  sessionTokens: sessionTokenRepositoryInputs,
  memory: memoryRepositoryInputs,
  mirrors: mirrorRepositoryInputs,
};

/** The name of every repository, in declaration order. */
export const REPOSITORY_NAMES = Object.keys(inputs) as (keyof Repositories)[];

/**
 * Puts the shared input validation in front of an adapter's repositories; with the store's
 * `observer`, each call is also reported as the repository call (`sessions.get`).
 */
export function withValidation(repositories: Repositories, observer?: QueryObserver): Repositories {
  const out: Partial<Record<keyof Repositories, unknown>> = {};
  for (const name of REPOSITORY_NAMES) {
    out[name] = validated<object>(repositories[name], inputs[name] as InputSchemas<object>, observer, name);
  }
  return out as Repositories;
}

/** One repository of an adapter, built on demand on the adapter's executor. */
export type RepositoryFactory = <K extends keyof Repositories>(name: K) => Repositories[K];

/** `tx` of a transaction: each repository built and validated when first read (see withLazyValidation). */
class LazyRepositories {
  readonly built: Partial<Record<keyof Repositories, unknown>> = {};

  constructor(
    readonly make: RepositoryFactory,
    readonly observer: QueryObserver | undefined,
  ) {}
}

for (const name of REPOSITORY_NAMES) {
  Object.defineProperty(LazyRepositories.prototype, name, {
    enumerable: true,
    get(this: LazyRepositories) {
      return (this.built[name] ??= validated<object>(this.make(name), inputs[name] as InputSchemas<object>, this.observer, name));
    },
  });
}

/**
 * What withValidation gives, with each repository built and wrapped when it is first read
 * rather than all fourteen up front: for the `tx` of a transaction, made per transaction
 * on that transaction's executor and mostly using one or two repositories.
 */
export function withLazyValidation(make: RepositoryFactory, observer?: QueryObserver): Repositories {
  return new LazyRepositories(make, observer) as unknown as Repositories;
}

/**
 * Every repository `make` builds, behind the shared validation: an adapter's repository
 * set on one executor. `lazy`: each one built when first read (a transaction's `tx`).
 */
export function buildRepositories(make: RepositoryFactory, observer?: QueryObserver, lazy = false): Repositories {
  if (lazy) return withLazyValidation(make, observer);
  const all: Partial<Record<keyof Repositories, unknown>> = {};
  for (const name of REPOSITORY_NAMES) all[name] = make(name);
  return withValidation(all as Repositories, observer);
}
