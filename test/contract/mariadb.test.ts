import { ALL_CONTRACTS } from './all-contracts.js';
import { describeEngine } from './engines.js';

describeEngine('mariadb', ALL_CONTRACTS);
