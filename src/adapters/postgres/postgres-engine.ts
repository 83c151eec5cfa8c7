/**
 * Everything the composition root needs from the PostgreSQL engine, in one module so the
 * root can import it only when `pg` is installed (`pg` is an optional peer dependency).
 */
export { PostgresInstanceLock } from './postgres-instance-lock.js';
export { PostgresLeaseLock } from './postgres-lease-lock.js';
export { PostgresStore } from './postgres-store.js';
export { createPool, PostgresDatabase, type PostgresOptions } from './postgres-database.js';
export { PostgresTableReader } from './postgres-table-reader.js';
