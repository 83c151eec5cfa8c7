import { SettingKey, SettingValue, type Setting } from '../domain/settings.js';
import type { InputSchemas } from './validation.js';

/** System settings: a small key/value table. */
export interface SettingsRepository {
  /** The value of `key`; `null` when it is not set. */
  get(key: string): Promise<string | null>;
  /** Sets `key` to `value` in one atomic upsert; updatedAt = now. */
  set(key: string, value: string): Promise<void>;
  /** Removes `key`. Returns true if it existed, false if it did not (deleting is idempotent). */
  delete(key: string): Promise<boolean>;
  /** Every setting, ordered by key. */
  list(): Promise<Setting[]>;
}

export const settingsRepositoryInputs: InputSchemas<SettingsRepository> = {
  get: [['key', SettingKey]],
  set: [
    ['key', SettingKey],
    ['value', SettingValue],
  ],
  delete: [['key', SettingKey]],
  list: [],
};
