import { settingFields, type Setting } from '../../domain/settings.js';
import type { Clock } from '../../ports/clock.js';
import type { SettingsRepository } from '../../ports/settings-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(settingFields);
const LIST = `SELECT ${codec.columnList} FROM system_settings ORDER BY key`;

export class SqliteSettingsRepository implements SettingsRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  get(key: string): Promise<string | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw('SELECT value FROM system_settings WHERE key = ?').get(key) as [string] | undefined;
      return row === undefined ? null : row[0];
    });
  }

  set(key: string, value: string): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      this.db
        .prepare(
          `INSERT INTO system_settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        )
        .run(key, value, now);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.db.run(() => this.db.prepare('DELETE FROM system_settings WHERE key = ?').run(key).changes > 0);
  }

  list(): Promise<Setting[]> {
    return this.db.run(() =>
      (this.db.prepareRaw(LIST).all() as unknown[][]).map((row) => codec.fromArray(row)),
    );
  }
}
