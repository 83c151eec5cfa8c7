import { agentAvailabilityContract } from './agent-availability.contract.js';
import { bulkContract, suspendedKeysContract, tableReaderContract } from './bulk.contract.js';
import { contentContract } from './content.contract.js';
import { conversationLinkContract } from './conversation-link.contract.js';
import type { ContractContext } from './engines.js';
import { hookOutboxContract } from './hook-outbox.contract.js';
import { inboundQueueContract } from './inbound-queue.contract.js';
import { operationContract } from './operation.contract.js';
import { outboxClaimOrderContract } from './outbox-claim-order.contract.js';
import { queueClaimsContract } from './queue-claims.contract.js';
import { queueConcurrencyContract } from './queue-concurrency.contract.js';
import { fullTextContract } from './full-text.contract.js';
import { listenerContract } from './listener.contract.js';
import { memoryContract } from './memory.contract.js';
import { mirrorContract } from './mirror.contract.js';
import { pendingDeletionContract } from './pending-deletion.contract.js';
import { instanceLockContract } from './instance-lock.contract.js';
import { sessionContract } from './session.contract.js';
import { sessionTokenContract } from './session-token.contract.js';
import { settingsContract } from './settings.contract.js';
import { storeContract } from './store.contract.js';
import { voiceContract } from './voice.contract.js';
import { waitForWorkContract } from './wait-for-work.contract.js';
import { webhookContract } from './webhook.contract.js';

/** Every contract: each engine's test file runs all of them. */
export const ALL_CONTRACTS: ((context: ContractContext) => void)[] = [
  storeContract,
  sessionContract,
  voiceContract,
  settingsContract,
  bulkContract,
  suspendedKeysContract,
  tableReaderContract,
  hookOutboxContract,
  inboundQueueContract,
  operationContract,
  webhookContract,
  outboxClaimOrderContract,
  queueConcurrencyContract,
  queueClaimsContract,
  waitForWorkContract,
  pendingDeletionContract,
  agentAvailabilityContract,
  listenerContract,
  conversationLinkContract,
  sessionTokenContract,
  memoryContract,
  mirrorContract,
  fullTextContract,
  contentContract,
  instanceLockContract,
];
