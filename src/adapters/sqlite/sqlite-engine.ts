/**
 * Everything the composition root needs from the SQLite engine, in one module so the root
 * can import it only when `better-sqlite3` is installed (an optional peer dependency).
 */
export { sqliteExposureWarnings } from './sqlite-database.js';
export { SqliteInstanceLock } from './sqlite-instance-lock.js';
export { SqliteStore } from './sqlite-store.js';
export { SqliteTableReader } from './sqlite-table-reader.js';
