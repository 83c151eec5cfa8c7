import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function agentAvailabilityContract({ fresh }: ContractContext): void {
  describe('AgentAvailabilityRepository', () => {
    it('reads free-text reasons as the daemon stores them: a bare degraded is degraded, operator text is kept', async () => {
      const clock = new ManualClock();
      const store = await fresh({ clock });
      const later = new Date(clock.now().getTime() + MINUTE);
      await store.bulk.load(
        'agent_availability',
        ['agent', 'available', 'unavailable_until', 'degraded_until', 'reason'],
        [
          [
            ['a-bare', true, null, later, 'degraded'],
            ['b-operator', false, later, null, 'maintenance window, ask ops'],
            ['c-degraded-flag-off', false, null, null, 'degraded:slow'],
            ['d-quota', false, null, null, 'quota_exhausted'],
          ],
        ],
      );
      expect(await store.repositories.agentAvailability.list()).toEqual([
        { agent: 'a-bare', status: 'degraded', until: later, reason: 'degraded' },
        { agent: 'b-operator', status: 'unavailable', until: later, reason: 'maintenance window, ask ops' },
        { agent: 'c-degraded-flag-off', status: 'degraded', until: null, reason: 'degraded:slow' },
        { agent: 'd-quota', status: 'unavailable', until: null, reason: 'quota_exhausted' },
      ]);
    });

    it('an agent never marked is available', async () => {
      const { repositories: r } = await fresh();
      expect(await r.agentAvailability.get('claude')).toEqual({ agent: 'claude', status: 'available', until: null, reason: null });
      expect(await r.agentAvailability.list()).toEqual([]);
    });

    it('markUnavailable holds until its time passes on the clock, then reads as available and is reset', async () => {
      const clock = new ManualClock();
      const store = await fresh({ clock });
      const r = store.repositories;
      const until = new Date(clock.now().getTime() + 10 * MINUTE);
      expect(await r.agentAvailability.markUnavailable('claude', until, 'rate_limited')).toEqual({
        agent: 'claude',
        status: 'unavailable',
        until,
        reason: 'rate_limited',
      });
      clock.advance(10 * MINUTE - 1);
      expect((await r.agentAvailability.get('claude')).status).toBe('unavailable');
      clock.advance(1);
      expect(await r.agentAvailability.get('claude')).toEqual({ agent: 'claude', status: 'available', until: null, reason: null });
      clock.set('2000-01-01T00:00:00Z');
      expect((await r.agentAvailability.get('claude')).status).toBe('available');
    });

    it('markDegraded keeps the agent usable, prefixes the reason and expires on the clock', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const until = new Date(clock.now().getTime() + MINUTE);
      expect(await r.agentAvailability.markDegraded('gemini', until, 'slow')).toMatchObject({ status: 'degraded', reason: 'degraded:slow' });
      expect((await r.agentAvailability.markDegraded('gemini', until, 'degraded:flaky')).reason).toBe('degraded:flaky');
      clock.advance(MINUTE);
      expect((await r.agentAvailability.get('gemini')).status).toBe('available');
    });

    it('a mark without an until-time lasts until markAvailable', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.agentAvailability.markUnavailable('codex', null, 'quota_exhausted');
      clock.advance(365 * 24 * 60 * MINUTE);
      expect(await r.agentAvailability.get('codex')).toMatchObject({ status: 'unavailable', until: null, reason: 'quota_exhausted' });
      expect(await r.agentAvailability.clearExpired()).toBe(0);
      expect((await r.agentAvailability.markAvailable('codex')).status).toBe('available');
      expect((await r.agentAvailability.get('codex')).status).toBe('available');
    });

    it('a new mark replaces the previous one atomically', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const later = new Date(clock.now().getTime() + MINUTE);
      await r.agentAvailability.markUnavailable('claude', later, 'service_outage');
      expect((await r.agentAvailability.markDegraded('claude', later, 'slow')).status).toBe('degraded');
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? r.agentAvailability.markAvailable('claude') : r.agentAvailability.markUnavailable('claude', later, 'rate_limited'),
        ),
      );
      expect(await r.agentAvailability.list()).toHaveLength(1);
    });

    it('clearExpired resets only expired marks and list reports every agent by name', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const soon = new Date(clock.now().getTime() + MINUTE);
      const later = new Date(clock.now().getTime() + 5 * MINUTE);
      await r.agentAvailability.markUnavailable('b-agent', soon, 'rate_limited');
      await r.agentAvailability.markDegraded('a-agent', soon, 'slow');
      await r.agentAvailability.markUnavailable('c-agent', later, 'rate_limited');
      clock.advance(MINUTE);
      expect((await r.agentAvailability.list()).map((s) => [s.agent, s.status])).toEqual([
        ['a-agent', 'available'],
        ['b-agent', 'available'],
        ['c-agent', 'unavailable'],
      ]);
      expect(await r.agentAvailability.clearExpired()).toBe(2);
      expect(await r.agentAvailability.clearExpired()).toBe(0);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      await expect(r.agentAvailability.markUnavailable('claude', null, 'tired' as 'rate_limited')).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'reason',
      });
      await expect(r.agentAvailability.markDegraded('claude', 'not a date' as unknown as Date, 'slow')).rejects.toMatchObject({
        field: 'until',
      });
      await expect(r.agentAvailability.markDegraded('claude', null, 'degraded:')).rejects.toMatchObject({ field: 'reason' });
      await expect(r.agentAvailability.markAvailable('')).rejects.toMatchObject({ field: 'agent' });
      expect((await store.inspector.rowCounts()).agent_availability).toBe(0);
    });
  });
}
