import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function settingsContract({ fresh }: ContractContext): void {
  describe('SettingsRepository', () => {
    it('set then get returns the value; an unknown key is null', async () => {
      const { repositories: r } = await fresh();
      await r.settings.set('theme', 'dark');
      expect(await r.settings.get('theme')).toBe('dark');
      expect(await r.settings.get('unset')).toBeNull();
    });

    it('set overwrites atomically and maintains updatedAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.settings.set('k', 'v1');
      clock.advance(5000);
      await r.settings.set('k', 'v2');
      expect(await r.settings.list()).toEqual([{ key: 'k', value: 'v2', updatedAt: clock.now() }]);
    });

    it('concurrent sets of one key never fail and leave one row', async () => {
      const { repositories: r } = await fresh();
      await Promise.all(Array.from({ length: 25 }, (_, i) => r.settings.set('race', String(i))));
      expect((await r.settings.list()).filter((s) => s.key === 'race')).toHaveLength(1);
    });

    it('delete reports whether the key existed', async () => {
      const { repositories: r } = await fresh();
      await r.settings.set('k', 'v');
      expect(await r.settings.delete('k')).toBe(true);
      expect(await r.settings.delete('k')).toBe(false);
      expect(await r.settings.get('k')).toBeNull();
    });

    it('list is ordered by key in byte order', async () => {
      const { repositories: r } = await fresh();
      for (const key of ['b', 'a', 'B', 'a_b', 'aa']) await r.settings.set(key, key);
      expect((await r.settings.list()).map((s) => s.key)).toEqual(['B', 'a', 'a_b', 'aa', 'b']);
    });

    it('bad input is refused with a ValidationError naming the field', async () => {
      const { repositories: r } = await fresh();
      await expect(r.settings.set('', 'v')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'key' });
      await expect(r.settings.set('k', 42 as unknown as string)).rejects.toMatchObject({ field: 'value' });
      expect(await r.settings.list()).toEqual([]);
    });
  });
}
