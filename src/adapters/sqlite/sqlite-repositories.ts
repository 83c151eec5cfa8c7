import type { Clock } from '../../ports/clock.js';
import { withValidation, type Repositories } from '../../ports/repositories.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { SqliteSessionRepository } from './sqlite-session-repository.js';
import { SqliteSettingsRepository } from './sqlite-settings-repository.js';
import { SqliteVoiceRepository } from './sqlite-voice-repository.js';

/** Every SQLite repository on one executor (the connection, or one transaction), behind the shared validation. */
export function createSqliteRepositories(db: SqliteExecutor, clock: Clock): Repositories {
  return withValidation({
    sessions: new SqliteSessionRepository(db, clock),
    voices: new SqliteVoiceRepository(db, clock),
    settings: new SqliteSettingsRepository(db, clock),
  });
}
