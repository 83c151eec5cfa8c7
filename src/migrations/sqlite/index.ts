import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';
import { migration as m001 } from './001_foundation.js';
import { migration as m002 } from './002_work_queues.js';
import { migration as m003 } from './003_domain_rest.js';
import { migration as m004 } from './004_legacy_facts.js';
import { migration as m005 } from './005_daemon_parity.js';
import { migration as m007 } from './007_queue_claims.js';
import { migration as m008 } from './008_claim_indexes.js';

/** The SQLite migration set, in order. Every name has a twin in ../postgres. */
export const sqliteMigrations: SqliteMigration[] = [
  { name: '001_foundation', ...m001 },
  { name: '002_work_queues', ...m002 },
  { name: '003_domain_rest', ...m003 },
  { name: '004_legacy_facts', ...m004 },
  { name: '005_daemon_parity', ...m005 },
  { name: '007_queue_claims', ...m007 },
  { name: '008_claim_indexes', ...m008 },
];
