import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function sessionContract({ fresh }: ContractContext): void {
  describe('SessionRepository', () => {
    it('create fills the defaults and stamps createdAt = lastActivity = now', async () => {
      const clock = new ManualClock('2026-03-15T10:00:00.000Z');
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.title).toBe('[mac] Untitled');
      expect(s.lifecycleStatus).toBe('active');
      expect(s.lastInputOrigin).toBe('telegram');
      expect(s.terminalSize).toBe('80x24');
      expect(s.adapterMetadata).toEqual({});
      expect(s.transcriptFiles).toEqual([]);
      expect(s.charOffset).toBe(0);
      expect(s.initiatedByAi).toBe(false);
      expect(s.visibility).toBe('private');
      expect(s.createdAt).toEqual(clock.now());
      expect(s.lastActivity).toEqual(clock.now());
      expect(s.closedAt).toBeNull();
      expect(await r.sessions.get(s.id)).toEqual(s);
    });

    it('create round-trips every kind of value with native types', async () => {
      const { repositories: r } = await fresh();
      const at = new Date('2026-01-02T03:04:05.678Z');
      const s = await r.sessions.create({
        id: 'explicit-id',
        computerName: 'box',
        title: 'Fix the build',
        adapterMetadata: { telegram: { topicId: 42 }, discord: { channel: 'x' } },
        sessionMetadata: { systemRole: 'worker', nested: [1, { a: null }] },
        initiatedByAi: true,
        tuiCaptureStarted: true,
        lastToolUseAt: at,
        charOffset: 1234,
        transcriptFiles: ['/a.jsonl', '/b.jsonl'],
        principal: 'human:ann@example.com',
        ownerPerson: 'ann',
        ownerUid: 1001,
      });
      const got = (await r.sessions.get('explicit-id'))!;
      expect(got).toEqual(s);
      expect(got.adapterMetadata).toEqual({ telegram: { topicId: 42 }, discord: { channel: 'x' } });
      expect(got.sessionMetadata).toEqual({ systemRole: 'worker', nested: [1, { a: null }] });
      expect(got.initiatedByAi).toBe(true);
      expect(got.lastToolUseAt).toBeInstanceOf(Date);
      expect(got.lastToolUseAt!.getTime()).toBe(at.getTime());
      expect(got.ownerUid).toBe(1001);
      expect(typeof got.charOffset).toBe('number');
    });

    it('createHeadless makes a headless session with an empty tmux name', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.createHeadless({ computerName: 'mac', tmuxSessionName: 'ignored' });
      expect(s.lifecycleStatus).toBe('headless');
      expect(s.tmuxSessionName).toBe('');
    });

    it('get returns null for an unknown id', async () => {
      const { repositories: r } = await fresh();
      expect(await r.sessions.get('nope')).toBeNull();
    });

    it('update writes only the given fields and stamps lastMessageSentAt and lastOutputAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac', title: 'keep me' });
      clock.advance(5000);
      const u = await r.sessions.update(s.id, { lastMessageSent: 'hello', lastOutputRaw: 'out', charOffset: 7 });
      expect(u.title).toBe('keep me');
      expect(u.lastMessageSent).toBe('hello');
      expect(u.lastMessageSentAt).toEqual(clock.now());
      expect(u.lastOutputAt).toEqual(clock.now());
      expect(u.charOffset).toBe(7);
      expect(u.createdAt).toEqual(s.createdAt);
      expect(await r.sessions.get(s.id)).toEqual(u);
    });

    it('update can clear a nullable field with null', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac', projectPath: '/p' });
      expect((await r.sessions.update(s.id, { projectPath: null })).projectPath).toBeNull();
    });

    it('update, touch, close and delete of a missing session throw NotFoundError', async () => {
      const { repositories: r } = await fresh();
      await expect(r.sessions.update('missing', { title: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(r.sessions.touch('missing')).rejects.toBeInstanceOf(NotFoundError);
      await expect(r.sessions.close('missing')).rejects.toBeInstanceOf(NotFoundError);
      await expect(r.sessions.delete('missing')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('touch moves lastActivity to now', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      clock.advance(60_000);
      await r.sessions.touch(s.id);
      expect((await r.sessions.get(s.id))!.lastActivity).toEqual(clock.now());
    });

    it('close is idempotent and keeps the first closedAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      clock.advance(1000);
      const first = await r.sessions.close(s.id);
      expect(first.lifecycleStatus).toBe('closed');
      expect(first.closedAt).toEqual(clock.now());
      clock.advance(1000);
      const second = await r.sessions.close(s.id);
      expect(second.closedAt).toEqual(first.closedAt);
    });

    it('delete removes the row', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac' });
      await r.sessions.delete(s.id);
      expect(await r.sessions.get(s.id)).toBeNull();
    });

    it('list shows open active sessions by default, newest activity first, and widens on request', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = await r.sessions.create({ computerName: 'mac', title: 'a' });
      clock.advance(1000);
      const b = await r.sessions.create({ computerName: 'mac', title: 'b' });
      clock.advance(1000);
      const init = await r.sessions.create({ computerName: 'mac', lifecycleStatus: 'initializing' });
      const headless = await r.sessions.createHeadless({ computerName: 'mac' });
      const closed = await r.sessions.create({ computerName: 'mac' });
      await r.sessions.close(closed.id);
      const other = await r.sessions.create({ computerName: 'pc' });

      expect((await r.sessions.list()).map((s) => s.id)).toEqual([other.id, b.id, a.id]);
      expect((await r.sessions.list({ computerName: 'mac' })).map((s) => s.id)).toEqual([b.id, a.id]);
      const wide = await r.sessions.list({ computerName: 'mac', includeInitializing: true, includeHeadless: true, includeClosed: true });
      expect(new Set(wide.map((s) => s.id))).toEqual(new Set([a.id, b.id, init.id, headless.id, closed.id]));
      expect((await r.sessions.list({ includeHeadless: true })).map((s) => s.id)).toContain(headless.id);
      expect((await r.sessions.list({ includeInitializing: true })).map((s) => s.id)).toContain(init.id);
    });

    it('list takes at most `limit` sessions, the first of its order, and refuses a limit that is not 1..10000', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.unshift((await r.sessions.create({ computerName: i % 2 ? 'mac' : 'pc', title: `s${i}` })).id);
        clock.advance(1000);
      }
      expect((await r.sessions.list({ limit: 2 })).map((s) => s.id)).toEqual(ids.slice(0, 2));
      expect((await r.sessions.list({ limit: 10 })).map((s) => s.id)).toEqual(ids);
      // The other filters narrow first; the limit takes the first of what is left.
      const mac = (await r.sessions.list({ computerName: 'mac' })).map((s) => s.id);
      expect((await r.sessions.list({ computerName: 'mac', limit: 1 })).map((s) => s.id)).toEqual(mac.slice(0, 1));
      for (const [limit, reason] of [
        [0, 'must be positive'],
        [1.5, 'must be an integer'],
        [10_001, 'must be at most 10000'],
      ] as const) {
        await expect(r.sessions.list({ limit })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'filter.limit', reason });
      }
    });

    it('list filters by origin, initiator and owner', async () => {
      const { repositories: r } = await fresh();
      const parent = await r.sessions.create({ computerName: 'mac', lastInputOrigin: 'discord', ownerPerson: 'ann' });
      const child = await r.sessions.create({ computerName: 'mac', initiatorSessionId: parent.id, initiatedByAi: true });
      expect((await r.sessions.list({ lastInputOrigin: 'discord' })).map((s) => s.id)).toEqual([parent.id]);
      expect((await r.sessions.list({ initiatorSessionId: parent.id })).map((s) => s.id)).toEqual([child.id]);
      expect((await r.sessions.list({ ownerPerson: 'ann' })).map((s) => s.id)).toEqual([parent.id]);
    });

    it('findOneBy returns the newest open match and skips initializing unless asked', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const old = await r.sessions.create({ computerName: 'mac', tmuxSessionName: 'tc_1' });
      clock.advance(1000);
      const newer = await r.sessions.create({ computerName: 'mac', tmuxSessionName: 'tc_1' });
      clock.advance(1000);
      const closed = await r.sessions.create({ computerName: 'mac', tmuxSessionName: 'tc_1' });
      await r.sessions.close(closed.id);
      expect((await r.sessions.findOneBy('tmuxSessionName', 'tc_1'))!.id).toBe(newer.id);
      expect(old.id).not.toBe(newer.id);
      clock.advance(1000);
      const init = await r.sessions.create({ computerName: 'mac', nativeSessionId: 'n1', lifecycleStatus: 'initializing' });
      expect(await r.sessions.findOneBy('nativeSessionId', 'n1')).toBeNull();
      expect((await r.sessions.findOneBy('nativeSessionId', 'n1', { includeInitializing: true }))!.id).toBe(init.id);
      expect(await r.sessions.findOneBy('tmuxSessionName', 'nothing')).toBeNull();
    });

    it('findOneBy matches only active sessions by default; includeInitializing widens to every open one (the daemon meaning)', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const active = await r.sessions.create({ computerName: 'mac', nativeSessionId: 'n' });
      clock.advance(1000);
      const headless = await r.sessions.createHeadless({ computerName: 'mac', nativeSessionId: 'n' });
      expect((await r.sessions.findOneBy('nativeSessionId', 'n'))!.id).toBe(active.id);
      expect((await r.sessions.findOneBy('nativeSessionId', 'n', { includeInitializing: true }))!.id).toBe(headless.id);
      clock.advance(1000);
      const closing = await r.sessions.create({ computerName: 'mac', nativeSessionId: 'n', lifecycleStatus: 'closing' });
      expect((await r.sessions.findOneBy('nativeSessionId', 'n'))!.id).toBe(active.id);
      expect((await r.sessions.findOneBy('nativeSessionId', 'n', { includeInitializing: true }))!.id).toBe(closing.id);
      await r.sessions.close(active.id);
      expect(await r.sessions.findOneBy('nativeSessionId', 'n')).toBeNull();
      expect(await r.sessions.findOneBy('tmuxSessionName', '')).toBeNull();
      expect((await r.sessions.findOneBy('tmuxSessionName', '', { includeInitializing: true }))!.id).toBe(headless.id);
    });

    it('getField reads one field of one session, typed as get returns it; null for a missing session', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({
        computerName: 'mac',
        tmuxSessionName: 'tc_9',
        nativeSessionId: 'native-9',
        initiatedByAi: true,
        transcriptFiles: ['/a.jsonl'],
        adapterMetadata: { telegram: { topicId: 7 } },
      });
      expect(await r.sessions.getField(s.id, 'nativeSessionId')).toBe('native-9');
      expect(await r.sessions.getField(s.id, 'tmuxSessionName')).toBe('tc_9');
      expect(await r.sessions.getField(s.id, 'initiatedByAi')).toBe(true);
      expect(await r.sessions.getField(s.id, 'notificationSent')).toBe(false);
      expect(await r.sessions.getField(s.id, 'createdAt')).toEqual(clock.now());
      expect(await r.sessions.getField(s.id, 'charOffset')).toBe(0);
      expect(await r.sessions.getField(s.id, 'transcriptFiles')).toEqual(['/a.jsonl']);
      expect(await r.sessions.getField(s.id, 'adapterMetadata')).toEqual({ telegram: { topicId: 7 } });
      expect(await r.sessions.getField(s.id, 'closedAt')).toBeNull();
      expect(await r.sessions.getField('missing', 'nativeSessionId')).toBeNull();
      const full = await r.sessions.get(s.id);
      for (const field of Object.keys(full!) as (keyof typeof full & string)[]) {
        expect({ field, value: await r.sessions.getField(s.id, field) }).toEqual({ field, value: full![field] });
      }
    });

    it('getField refuses a field that is not a session field, and an empty id', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac' });
      await expect(r.sessions.getField(s.id, 'id; DROP TABLE sessions' as 'id')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'field' });
      await expect(r.sessions.getField(s.id, 'native_session_id' as 'id')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'field' });
      await expect(r.sessions.getField('', 'id')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'id' });
      expect(await r.sessions.getField(s.id, 'id')).toBe(s.id);
    });

    it('findOneBy refuses a field outside the allow-list', async () => {
      const { repositories: r } = await fresh();
      await expect(r.sessions.findOneBy('title' as 'tmuxSessionName', 'x')).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'field',
      });
    });

    it('count includes closed sessions and filters by computer', async () => {
      const { repositories: r } = await fresh();
      const a = await r.sessions.create({ computerName: 'mac' });
      await r.sessions.create({ computerName: 'mac' });
      await r.sessions.create({ computerName: 'pc' });
      await r.sessions.close(a.id);
      expect(await r.sessions.count()).toBe(3);
      expect(await r.sessions.count({ computerName: 'mac' })).toBe(2);
    });

    it('findByAdapterMetadata matches a JSON path, an integer also by its string form', async () => {
      const { repositories: r } = await fresh();
      const a = await r.sessions.create({ computerName: 'mac', adapterMetadata: { telegram: { topicId: 42 } } });
      const b = await r.sessions.create({ computerName: 'mac', adapterMetadata: { telegram: { topicId: '43' } } });
      await r.sessions.create({ computerName: 'mac', adapterMetadata: { discord: { topicId: 42 } } });
      expect((await r.sessions.findByAdapterMetadata('telegram', 'topicId', 42)).map((s) => s.id)).toEqual([a.id]);
      expect((await r.sessions.findByAdapterMetadata('telegram', 'topicId', '42')).map((s) => s.id)).toEqual([a.id]);
      expect((await r.sessions.findByAdapterMetadata('telegram', 'topicId', 43)).map((s) => s.id)).toEqual([b.id]);
      expect(await r.sessions.findByAdapterMetadata('telegram', 'topicId', 44)).toEqual([]);
      await r.sessions.close(a.id);
      expect(await r.sessions.findByAdapterMetadata('telegram', 'topicId', 42)).toEqual([]);
      expect(await r.sessions.findByAdapterMetadata('telegram', 'topicId', 42, { includeClosed: true })).toHaveLength(1);
    });

    it('findByAdapterMetadata treats odd keys as plain keys, not as path syntax', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac', adapterMetadata: { 'we.ird': { 'k"ey': 'v' } } });
      expect((await r.sessions.findByAdapterMetadata('we.ird', 'k"ey', 'v')).map((x) => x.id)).toEqual([s.id]);
    });

    it('findByTitlePrefix is case-sensitive, has no wildcards, excludes headless, newest first', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = await r.sessions.create({ computerName: 'mac', title: 'Fix 100% of bugs' });
      clock.advance(1000);
      const b = await r.sessions.create({ computerName: 'mac', title: 'Fix tests' });
      await r.sessions.createHeadless({ computerName: 'mac', title: 'Fix headless' });
      await r.sessions.create({ computerName: 'mac', title: 'fix lower' });
      expect((await r.sessions.findByTitlePrefix('Fix')).map((s) => s.id)).toEqual([b.id, a.id]);
      expect((await r.sessions.findByTitlePrefix('Fix 100%')).map((s) => s.id)).toEqual([a.id]);
      expect(await r.sessions.findByTitlePrefix('Fix _')).toEqual([]);
    });

    it('backfillOwner sets the owner only where none is set and returns the count', async () => {
      const { repositories: r } = await fresh();
      await r.sessions.create({ computerName: 'mac' });
      await r.sessions.create({ computerName: 'mac' });
      const owned = await r.sessions.create({ computerName: 'mac', ownerPerson: 'bob', ownerUid: 7 });
      expect(await r.sessions.backfillOwner('ann', 1000)).toBe(2);
      expect((await r.sessions.get(owned.id))!.ownerPerson).toBe('bob');
      expect(await r.sessions.list({ ownerPerson: 'ann' })).toHaveLength(2);
      expect(await r.sessions.backfillOwner('ann', 1000)).toBe(0);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const { repositories: r } = await fresh();
      await expect(r.sessions.create({ computerName: '' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'computerName' });
      await expect(r.sessions.create({ computerName: 'm', lifecycleStatus: 'zombie' as 'active' })).rejects.toMatchObject({
        field: 'lifecycleStatus',
      });
      await expect(r.sessions.create({ computerName: 'm', terminalSize: 'big' })).rejects.toMatchObject({ field: 'terminalSize' });
      await expect(r.sessions.create({ computerName: 'm', bogus: 1 } as never)).rejects.toBeInstanceOf(ValidationError);
      await expect(
        r.sessions.create({ computerName: 'm', adapterMetadata: { fn: () => 1 } as never }),
      ).rejects.toMatchObject({ field: 'adapterMetadata' });
      const s = await r.sessions.create({ computerName: 'mac' });
      await expect(r.sessions.update(s.id, { charOffset: -1 })).rejects.toMatchObject({ field: 'patch.charOffset' });
      await expect(r.sessions.update(s.id, {})).rejects.toMatchObject({ code: 'TC_VALIDATION' });
      expect(await r.sessions.get(s.id)).toEqual(s);
      expect(await r.sessions.count()).toBe(1);
    });

    it('creating a session with an existing id throws ConflictError', async () => {
      const { repositories: r } = await fresh();
      await r.sessions.create({ id: 'same', computerName: 'mac' });
      await expect(r.sessions.create({ id: 'same', computerName: 'pc' })).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect((await r.sessions.get('same'))!.computerName).toBe('mac');
    });
  });
}
