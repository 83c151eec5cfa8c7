import { describe, expect, it } from 'vitest';
import { DAY } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function voiceContract({ fresh }: ContractContext): void {
  describe('VoiceRepository', () => {
    it('assign upserts atomically and refreshes assignedAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const first = await r.voices.assign('s1', 'elevenlabs', 'Rachel');
      expect(first).toEqual({ id: 's1', serviceName: 'elevenlabs', voice: 'Rachel', assignedAt: clock.now() });
      clock.advance(1000);
      const second = await r.voices.assign('s1', 'openai', 'nova');
      expect(second.assignedAt).toEqual(clock.now());
      expect(await r.voices.get('s1')).toEqual(second);
    });

    it('assign defaults the voice to the empty string; get of an unknown id is null', async () => {
      const { repositories: r } = await fresh();
      expect((await r.voices.assign('s2', 'macos')).voice).toBe('');
      expect(await r.voices.get('nope')).toBeNull();
    });

    it('concurrent assigns of one id leave exactly one row', async () => {
      const { repositories: r } = await fresh();
      await Promise.all(Array.from({ length: 20 }, (_, i) => r.voices.assign('same', 'svc', `v${i}`)));
      const got = await r.voices.get('same');
      expect(got!.voice).toMatch(/^v\d+$/);
    });

    it('voicesInUse lists pairs of open sessions matched by id or native session id', async () => {
      const { repositories: r } = await fresh();
      const open = await r.sessions.create({ computerName: 'mac', nativeSessionId: 'native-1' });
      const closed = await r.sessions.create({ computerName: 'mac' });
      await r.sessions.close(closed.id);
      await r.voices.assign(open.id, 'elevenlabs', 'Rachel');
      await r.voices.assign('native-1', 'openai', 'nova');
      await r.voices.assign(closed.id, 'openai', 'alloy');
      await r.voices.assign('unrelated', 'openai', 'echo');
      expect(await r.voices.voicesInUse()).toEqual([
        { serviceName: 'elevenlabs', voice: 'Rachel' },
        { serviceName: 'openai', voice: 'nova' },
      ]);
    });

    it('removeStale deletes assignments older than 7 days by default and returns the count', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.voices.assign('old', 'svc', 'a');
      clock.advance(6 * DAY);
      await r.voices.assign('recent', 'svc', 'b');
      clock.advance(1 * DAY + 1);
      expect(await r.voices.removeStale()).toBe(1);
      expect(await r.voices.get('old')).toBeNull();
      expect(await r.voices.get('recent')).not.toBeNull();
      expect(await r.voices.removeStale(1000)).toBe(1);
    });

    it('bad input is refused with a ValidationError naming the field', async () => {
      const { repositories: r } = await fresh();
      await expect(r.voices.assign('', 'svc')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'id' });
      await expect(r.voices.assign('x', '')).rejects.toMatchObject({ field: 'serviceName' });
      await expect(r.voices.removeStale(-5)).rejects.toMatchObject({ field: 'olderThanMs' });
      expect(await r.voices.get('x')).toBeNull();
    });
  });
}
