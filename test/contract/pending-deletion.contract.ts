import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function pendingDeletionContract({ fresh }: ContractContext): void {
  describe('PendingDeletionRepository', () => {
    it('add is idempotent on (session, message, type) and list returns the kind, oldest first', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      expect(await r.pendingDeletions.add(s.id, 'm1', 'user_input')).toBe(true);
      clock.advance(1000);
      expect(await r.pendingDeletions.add(s.id, 'm2', 'user_input')).toBe(true);
      expect(await r.pendingDeletions.add(s.id, 'm1', 'user_input')).toBe(false);
      expect(await r.pendingDeletions.add(s.id, 'm1', 'feedback')).toBe(true);
      const list = await r.pendingDeletions.list(s.id, 'user_input');
      expect(list.map((d) => d.messageId)).toEqual(['m1', 'm2']);
      expect(list[0]).toMatchObject({ sessionId: s.id, deletionType: 'user_input', createdAt: new Date(clock.now().getTime() - 1000) });
      expect(typeof list[0]!.id).toBe('number');
      expect((await r.pendingDeletions.list(s.id, 'feedback')).map((d) => d.messageId)).toEqual(['m1']);
    });

    it('concurrent adds of one message record it once', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac' });
      const added = await Promise.all(Array.from({ length: 10 }, () => r.pendingDeletions.add(s.id, 'm', 'feedback')));
      expect(added.filter(Boolean)).toHaveLength(1);
      expect(await r.pendingDeletions.list(s.id, 'feedback')).toHaveLength(1);
    });

    it('clear removes one kind of one session and returns the count', async () => {
      const { repositories: r } = await fresh();
      const a = await r.sessions.create({ computerName: 'mac' });
      const b = await r.sessions.create({ computerName: 'mac' });
      await r.pendingDeletions.add(a.id, 'm1', 'user_input');
      await r.pendingDeletions.add(a.id, 'm2', 'user_input');
      await r.pendingDeletions.add(a.id, 'm3', 'feedback');
      await r.pendingDeletions.add(b.id, 'm1', 'user_input');
      expect(await r.pendingDeletions.clear(a.id, 'user_input')).toBe(2);
      expect(await r.pendingDeletions.clear(a.id, 'user_input')).toBe(0);
      expect(await r.pendingDeletions.list(a.id, 'feedback')).toHaveLength(1);
      expect(await r.pendingDeletions.list(b.id, 'user_input')).toHaveLength(1);
    });

    it('add for a missing session throws ForeignKeyError', async () => {
      const { repositories: r } = await fresh();
      await expect(r.pendingDeletions.add('ghost', 'm', 'feedback')).rejects.toMatchObject({ code: 'TC_FOREIGN_KEY' });
    });

    it('deleting the session removes its pending deletions (cascade)', async () => {
      const { repositories: r } = await fresh();
      const s = await r.sessions.create({ computerName: 'mac' });
      await r.pendingDeletions.add(s.id, 'm1', 'feedback');
      await r.sessions.delete(s.id);
      expect(await r.pendingDeletions.list(s.id, 'feedback')).toEqual([]);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      const s = await r.sessions.create({ computerName: 'mac' });
      await expect(r.pendingDeletions.add(s.id, 'm', 'other' as 'feedback')).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'deletionType',
      });
      await expect(r.pendingDeletions.add(s.id, '', 'feedback')).rejects.toMatchObject({ field: 'messageId' });
      await expect(r.pendingDeletions.add('', 'm', 'feedback')).rejects.toMatchObject({ field: 'sessionId' });
      expect((await store.inspector.rowCounts()).pending_message_deletions).toBe(0);
    });
  });
}
