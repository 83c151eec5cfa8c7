import mysql from 'mysql2/promise';
import { openMariadbSession } from '../../../src/adapters/mariadb/mariadb-database.js';
import { createMariadbTestDatabase } from '../databases.js';
import type { EngineHarness } from './harness.js';

/**
 * MariaDB: a database of its own on the shared test server, dropped afterwards. The
 * server frees a dead holder's GET_LOCK as soon as its connection drops.
 */
export const mariadbHarness: EngineHarness = {
  name: 'mariadb',
  // The store's client is mysql2/promise's pool (its class is exported, not declared).
  clientClass: (mysql as unknown as { PromisePool: abstract new (...args: never[]) => unknown }).PromisePool,
  crashedLockFreedWithinMs: 2000,
  dropIndexSql: (table, index) => `DROP INDEX \`${index}\` ON \`${table}\``,
  /**
   * One compound statement: with foreign-key checks off, DELETE every listed table and the
   * full-text word tables of those that have one (`<table>_words`, emptied by no cascade
   * while the checks are off), and restart each AUTO_INCREMENT that moved. DELETE rather
   * than TRUNCATE: TRUNCATE is DDL (it re-creates the table's file), which on a server
   * shared by parallel test files stalls everyone's statements.
   */
  emptyTablesSql(tables) {
    const names = [...tables, ...tables.map((t) => `${t}_words`)].map((t) => `'${t.replace(/'/g, "''")}'`).join(', ');
    return `BEGIN NOT ATOMIC
  DECLARE done INT DEFAULT 0;
  DECLARE t VARCHAR(64);
  DECLARE a BIGINT;
  DECLARE c CURSOR FOR SELECT table_name, auto_increment FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name IN (${names});
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  SET SESSION foreign_key_checks = 0;
  OPEN c;
  tables: LOOP
    FETCH c INTO t, a;
    IF done THEN LEAVE tables; END IF;
    EXECUTE IMMEDIATE CONCAT('DELETE FROM \`', REPLACE(t, '\`', '\`\`'), '\`');
    IF a > 1 THEN EXECUTE IMMEDIATE CONCAT('ALTER TABLE \`', REPLACE(t, '\`', '\`\`'), '\` AUTO_INCREMENT = 1'); END IF;
  END LOOP;
  CLOSE c;
  SET SESSION foreign_key_checks = 1;
END`;
  },
  async createDatabase(prefix) {
    const db = await createMariadbTestDatabase(prefix);
    return {
      spec: { engine: 'mariadb', location: db.url },
      async exec(sql) {
        const session = await openMariadbSession({ url: db.url }, { multipleStatements: true });
        try {
          await session.query(sql);
        } finally {
          await session.end();
        }
      },
      async query(sql) {
        const session = await openMariadbSession({ url: db.url });
        try {
          return (await session.query(sql)).rows;
        } finally {
          await session.end();
        }
      },
      remove: () => db.drop(),
    };
  },
};
