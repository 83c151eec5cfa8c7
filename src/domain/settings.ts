import { z } from 'zod';
import { type FieldKinds } from './fields.js';

/** One key of the daemon's system settings. */
export interface Setting {
  key: string;
  value: string;
  updatedAt: Date;
}

export const settingFields: FieldKinds<Setting> = {
  key: 'text',
  value: 'text',
  updatedAt: 'time',
};

export const SettingKey = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
export const SettingValue = z.string({ error: 'must be a string' });
