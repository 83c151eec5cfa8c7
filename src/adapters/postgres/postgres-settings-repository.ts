import { settingFields, type Setting } from '../../domain/settings.js';
import type { Clock } from '../../ports/clock.js';
import type { SettingsRepository } from '../../ports/settings-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(settingFields);

export class PostgresSettingsRepository implements SettingsRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<string | null> {
    const { rows } = await this.db.query<{ value: string }>('SELECT value FROM system_settings WHERE key = $1', [key]);
    return rows[0] ? rows[0].value : null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.query(
      `INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, this.clock.now()],
    );
  }

  async delete(key: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM system_settings WHERE key = $1', [key]);
    return (rowCount ?? 0) > 0;
  }

  async list(): Promise<Setting[]> {
    // COLLATE "C": byte order, the same order SQLite's BINARY collation gives.
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM system_settings ORDER BY key COLLATE "C"`);
    return rows.map((row) => codec.fromRow(row));
  }
}
