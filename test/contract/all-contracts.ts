import { bulkContract } from './bulk.contract.js';
import type { ContractContext } from './engines.js';
import { instanceLockContract } from './instance-lock.contract.js';
import { sessionContract } from './session.contract.js';
import { settingsContract } from './settings.contract.js';
import { storeContract } from './store.contract.js';
import { voiceContract } from './voice.contract.js';

/** Every contract: each engine's test file runs all of them. */
export const ALL_CONTRACTS: ((context: ContractContext) => void)[] = [
  storeContract,
  sessionContract,
  voiceContract,
  settingsContract,
  bulkContract,
  instanceLockContract,
];
