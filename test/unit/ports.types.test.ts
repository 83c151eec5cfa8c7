import { describe, expectTypeOf, it } from 'vitest';
import { PostgresSessionRepository } from '../../src/adapters/postgres/postgres-session-repository.js';
import { PostgresSettingsRepository } from '../../src/adapters/postgres/postgres-settings-repository.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { PostgresVoiceRepository } from '../../src/adapters/postgres/postgres-voice-repository.js';
import { SqliteSessionRepository } from '../../src/adapters/sqlite/sqlite-session-repository.js';
import { SqliteSettingsRepository } from '../../src/adapters/sqlite/sqlite-settings-repository.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { SqliteVoiceRepository } from '../../src/adapters/sqlite/sqlite-voice-repository.js';
import type { SessionRepository } from '../../src/ports/session-repository.js';
import type { SettingsRepository } from '../../src/ports/settings-repository.js';
import type { Store } from '../../src/ports/store.js';
import type { VoiceRepository } from '../../src/ports/voice-repository.js';

type Public<T> = { [K in keyof T]: T[K] };

describe('adapters match their ports exactly (no missing, no extra public members)', () => {
  it('session repositories', () => {
    expectTypeOf<Public<SqliteSessionRepository>>().toEqualTypeOf<SessionRepository>();
    expectTypeOf<Public<PostgresSessionRepository>>().toEqualTypeOf<SessionRepository>();
  });
  it('voice repositories', () => {
    expectTypeOf<Public<SqliteVoiceRepository>>().toEqualTypeOf<VoiceRepository>();
    expectTypeOf<Public<PostgresVoiceRepository>>().toEqualTypeOf<VoiceRepository>();
  });
  it('settings repositories', () => {
    expectTypeOf<Public<SqliteSettingsRepository>>().toEqualTypeOf<SettingsRepository>();
    expectTypeOf<Public<PostgresSettingsRepository>>().toEqualTypeOf<SettingsRepository>();
  });
  it('stores implement Store', () => {
    expectTypeOf<SqliteStore>().toExtend<Store>();
    expectTypeOf<PostgresStore>().toExtend<Store>();
  });
});
