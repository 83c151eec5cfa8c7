import { describe, expect, it } from 'vitest';
import { HOUR } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function sessionTokenContract({ fresh }: ContractContext): void {
  describe('SessionTokenRepository', () => {
    it('issue stamps issuedAt = now and expiresAt = now + 24 h by default', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      const t = await r.sessionTokens.issue({ sessionId: s.id, principal: 'human:ann@example.com', role: 'admin' });
      expect(t.token).toMatch(/^[0-9a-f-]{36}$/);
      expect(t).toMatchObject({ sessionId: s.id, principal: 'human:ann@example.com', role: 'admin', revokedAt: null });
      expect(t.issuedAt).toEqual(clock.now());
      expect(t.expiresAt).toEqual(new Date(clock.now().getTime() + 24 * HOUR));
      expect(await r.sessionTokens.validate(t.token)).toEqual(t);
    });

    it('validate returns null once the clock reaches expiresAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      const t = await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:cron', role: 'worker', ttlMs: HOUR, token: 'tok' });
      clock.advance(HOUR - 1);
      expect(await r.sessionTokens.validate('tok')).not.toBeNull();
      clock.advance(1);
      expect(await r.sessionTokens.validate(t.token)).toBeNull();
      expect(await r.sessionTokens.validate('unknown')).toBeNull();
    });

    it('revoked tokens do not validate; revoke keeps the first time; revokeAllForSession counts the unrevoked', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const s = await r.sessions.create({ computerName: 'mac' });
      const other = await r.sessions.create({ computerName: 'mac' });
      const a = await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r' });
      await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r' });
      await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r' });
      const kept = await r.sessionTokens.issue({ sessionId: other.id, principal: 'system:x', role: 'r' });
      expect(await r.sessionTokens.revoke(a.token)).toBe(true);
      expect(await r.sessionTokens.revoke('unknown')).toBe(false);
      expect(await r.sessionTokens.validate(a.token)).toBeNull();
      expect(await r.sessionTokens.revokeAllForSession(s.id)).toBe(2);
      expect(await r.sessionTokens.revokeAllForSession(s.id)).toBe(0);
      expect(await r.sessionTokens.validate(kept.token)).not.toBeNull();
    });

    it('issue for a missing session throws ForeignKeyError; a duplicate token ConflictError', async () => {
      const { repositories: r } = await fresh();
      await expect(r.sessionTokens.issue({ sessionId: 'ghost', principal: 'system:x', role: 'r' })).rejects.toMatchObject({
        code: 'TC_FOREIGN_KEY',
      });
      const s = await r.sessions.create({ computerName: 'mac' });
      await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r', token: 'same' });
      await expect(r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r', token: 'same' })).rejects.toMatchObject({
        code: 'TC_CONFLICT',
      });
    });

    it('deleting the session removes its tokens (cascade)', async () => {
      const store = await fresh();
      const r = store.repositories;
      const s = await r.sessions.create({ computerName: 'mac' });
      const t = await r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r' });
      await r.sessions.delete(s.id);
      expect(await r.sessionTokens.validate(t.token)).toBeNull();
      expect((await store.inspector.rowCounts()).session_tokens).toBe(0);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      const s = await r.sessions.create({ computerName: 'mac' });
      await expect(r.sessionTokens.issue({ sessionId: s.id, principal: 'ann', role: 'r' })).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'principal',
      });
      await expect(r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: '' })).rejects.toMatchObject({ field: 'role' });
      await expect(r.sessionTokens.issue({ sessionId: s.id, principal: 'system:x', role: 'r', ttlMs: 0 })).rejects.toMatchObject({
        field: 'ttlMs',
      });
      expect((await store.inspector.rowCounts()).session_tokens).toBe(0);
    });
  });
}
