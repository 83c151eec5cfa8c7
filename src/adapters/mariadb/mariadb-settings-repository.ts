import { settingFields, type Setting } from '../../domain/settings.js';
import type { Clock } from '../../ports/clock.js';
import type { SettingsRepository } from '../../ports/settings-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(settingFields);

export class MariadbSettingsRepository implements SettingsRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<string | null> {
    const { rows } = await this.db.query<{ value: string }>('SELECT value FROM system_settings WHERE `key` = ?', [key]);
    return rows[0] ? rows[0].value : null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.query(
      `INSERT INTO system_settings (\`key\`, value, updated_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)`,
      [key, value, this.clock.now().getTime()],
    );
  }

  async delete(key: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM system_settings WHERE `key` = ?', [key]);
    return rowCount > 0;
  }

  async list(): Promise<Setting[]> {
    // The column's collation (utf8mb4_nopad_bin) orders by code point, as PostgreSQL's "C" and SQLite's BINARY do.
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM system_settings ORDER BY \`key\``);
    return rows.map((row) => codec.fromRow(row));
  }
}
