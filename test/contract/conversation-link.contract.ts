import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function conversationLinkContract({ fresh }: ContractContext): void {
  describe('ConversationLinkRepository', () => {
    it('create writes the link and its members; members are ordered by number, then joinedAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const link = await r.conversationLinks.create({ mode: 'gathering_link', createdBySessionId: 'a', metadata: { topic: 'x' } }, [
        { sessionId: 'c' },
        { sessionId: 'b', participantNumber: 2, participantName: 'Bob', participantRole: 'critic', computerName: 'pc' },
        { sessionId: 'a', participantNumber: 1 },
      ]);
      expect(link.linkId).toMatch(/^[0-9a-f-]{36}$/);
      expect(link).toMatchObject({ mode: 'gathering_link', status: 'active', createdBySessionId: 'a', metadata: { topic: 'x' }, closedAt: null });
      expect(link.createdAt).toEqual(clock.now());
      expect(await r.conversationLinks.get(link.linkId)).toEqual(link);
      const members = await r.conversationLinks.members(link.linkId);
      expect(members.map((m) => m.sessionId)).toEqual(['a', 'b', 'c']);
      expect(members[1]).toEqual({
        linkId: link.linkId,
        sessionId: 'b',
        participantName: 'Bob',
        participantNumber: 2,
        participantRole: 'critic',
        computerName: 'pc',
        joinedAt: clock.now(),
      });
      expect(await r.conversationLinks.get('missing')).toBeNull();
      expect(await r.conversationLinks.members('missing')).toEqual([]);
    });

    it('create is all or nothing: a duplicate linkId writes no members', async () => {
      const store = await fresh();
      const r = store.repositories;
      await r.conversationLinks.create({ linkId: 'L', mode: 'direct_link' }, [{ sessionId: 'a' }]);
      await expect(r.conversationLinks.create({ linkId: 'L', mode: 'direct_link' }, [{ sessionId: 'x' }, { sessionId: 'y' }])).rejects.toMatchObject({
        code: 'TC_CONFLICT',
      });
      expect((await r.conversationLinks.members('L')).map((m) => m.sessionId)).toEqual(['a']);
      expect((await store.inspector.rowCounts()).conversation_link_members).toBe(1);
    });

    it('activeLinksForSession and linksBetween see only active links, newest first', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const one = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      clock.advance(1000);
      const two = await r.conversationLinks.create({ mode: 'gathering_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }, { sessionId: 'c' }]);
      const closed = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      await r.conversationLinks.setStatus(closed.linkId, 'closed');
      expect((await r.conversationLinks.activeLinksForSession('a')).map((l) => l.linkId)).toEqual([two.linkId, one.linkId]);
      expect((await r.conversationLinks.linksBetween('a', 'b')).map((l) => l.linkId)).toEqual([two.linkId, one.linkId]);
      expect((await r.conversationLinks.linksBetween('c', 'a')).map((l) => l.linkId)).toEqual([two.linkId]);
      expect(await r.conversationLinks.linksBetween('c', 'z')).toEqual([]);
    });

    it('linksBetween with a mode keeps only links of that mode', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const direct = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      clock.advance(1000);
      const gathering = await r.conversationLinks.create({ mode: 'gathering_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      clock.advance(1000);
      const direct2 = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'b' }, { sessionId: 'a' }]);
      await r.conversationLinks.create({ mode: 'gathering_link' }, [{ sessionId: 'a' }, { sessionId: 'c' }]);
      expect((await r.conversationLinks.linksBetween('a', 'b', 'direct_link')).map((l) => l.linkId)).toEqual([direct2.linkId, direct.linkId]);
      expect((await r.conversationLinks.linksBetween('b', 'a', 'gathering_link')).map((l) => l.linkId)).toEqual([gathering.linkId]);
      expect((await r.conversationLinks.linksBetween('a', 'b')).map((l) => l.linkId)).toEqual([direct2.linkId, gathering.linkId, direct.linkId]);
      expect(await r.conversationLinks.linksBetween('a', 'c', 'direct_link')).toEqual([]);
      await expect(r.conversationLinks.linksBetween('a', 'b', 'group' as 'direct_link')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'mode' });
      await expect(r.conversationLinks.linksBetween('', 'b')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sessionA' });
    });

    it('upsertMember adds or updates a member and keeps joinedAt; removeMember reports whether it existed', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const link = await r.conversationLinks.create({ mode: 'gathering_link' }, [{ sessionId: 'a', participantName: 'A' }]);
      const joined = clock.now();
      clock.advance(1000);
      expect(await r.conversationLinks.upsertMember(link.linkId, { sessionId: 'a', participantName: 'Ann', participantNumber: 3 })).toMatchObject({
        participantName: 'Ann',
        participantNumber: 3,
        joinedAt: joined,
      });
      expect((await r.conversationLinks.upsertMember(link.linkId, { sessionId: 'b' })).joinedAt).toEqual(clock.now());
      expect(await r.conversationLinks.removeMember(link.linkId, 'b')).toBe(true);
      expect(await r.conversationLinks.removeMember(link.linkId, 'b')).toBe(false);
      await expect(r.conversationLinks.upsertMember('missing', { sessionId: 'a' })).rejects.toMatchObject({ code: 'TC_FOREIGN_KEY' });
    });

    it('setStatus closes once (keeping the first closedAt) and reactivating clears closedAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const link = await r.conversationLinks.create({ mode: 'direct_link' }, []);
      clock.advance(1000);
      const closed = await r.conversationLinks.setStatus(link.linkId, 'closed');
      expect(closed).toMatchObject({ status: 'closed', closedAt: clock.now(), updatedAt: clock.now() });
      clock.advance(1000);
      expect((await r.conversationLinks.setStatus(link.linkId, 'closed')).closedAt).toEqual(closed.closedAt);
      expect(await r.conversationLinks.setStatus(link.linkId, 'active')).toMatchObject({ status: 'active', closedAt: null });
      await expect(r.conversationLinks.setStatus('missing', 'closed')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('sever closes the link and removes its members atomically, idempotently', async () => {
      const { repositories: r } = await fresh();
      const link = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      expect((await r.conversationLinks.sever(link.linkId)).status).toBe('closed');
      expect(await r.conversationLinks.members(link.linkId)).toEqual([]);
      expect((await r.conversationLinks.sever(link.linkId)).status).toBe('closed');
      await expect(r.conversationLinks.sever('missing')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('cleanupForSession removes the memberships and severs links left with fewer than two members', async () => {
      const { repositories: r } = await fresh();
      const direct = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'b' }]);
      const gathering = await r.conversationLinks.create({ mode: 'gathering_link' }, [
        { sessionId: 'a' },
        { sessionId: 'c' },
        { sessionId: 'd' },
      ]);
      const untouched = await r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'c' }, { sessionId: 'd' }]);
      expect(await r.conversationLinks.cleanupForSession('a')).toBe(2);
      expect((await r.conversationLinks.get(direct.linkId))!.status).toBe('closed');
      expect(await r.conversationLinks.members(direct.linkId)).toEqual([]);
      expect((await r.conversationLinks.get(gathering.linkId))!.status).toBe('active');
      expect((await r.conversationLinks.members(gathering.linkId)).map((m) => m.sessionId)).toEqual(['c', 'd']);
      expect((await r.conversationLinks.members(untouched.linkId)).map((m) => m.sessionId)).toEqual(['c', 'd']);
      expect(await r.conversationLinks.cleanupForSession('a')).toBe(0);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      await expect(r.conversationLinks.create({ mode: 'group' as 'direct_link' }, [])).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'link.mode',
      });
      await expect(r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a' }, { sessionId: 'a' }])).rejects.toMatchObject({
        field: 'members.1.sessionId',
      });
      await expect(r.conversationLinks.create({ mode: 'direct_link' }, [{ sessionId: 'a', participantNumber: 1.5 }])).rejects.toMatchObject({
        field: 'members.0.participantNumber',
      });
      await expect(r.conversationLinks.setStatus('x', 'open' as 'active')).rejects.toMatchObject({ field: 'status' });
      const counts = await store.inspector.rowCounts();
      expect([counts.conversation_links, counts.conversation_link_members]).toEqual([0, 0]);
    });
  });
}
