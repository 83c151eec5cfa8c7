import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function listenerContract({ fresh }: ContractContext): void {
  describe('ListenerRepository', () => {
    it('register returns true for a new pair, false for a refresh that updates tmux name and time', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      expect(await r.listeners.register('target', 'caller', 'tc_1')).toBe(true);
      clock.advance(1000);
      expect(await r.listeners.register('target', 'caller', 'tc_2')).toBe(false);
      expect(await r.listeners.listForTarget('target')).toEqual([
        { targetSessionId: 'target', callerSessionId: 'caller', callerTmuxSession: 'tc_2', registeredAt: clock.now() },
      ]);
      expect(await r.listeners.count()).toBe(1);
    });

    it('concurrent registers of one pair report exactly one as new', async () => {
      const { repositories: r } = await fresh();
      const results = await Promise.all(Array.from({ length: 10 }, () => r.listeners.register('t', 'c', 'tc')));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lists for target and caller are ordered by registration time', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.listeners.register('t1', 'c2', 'x');
      clock.advance(1000);
      await r.listeners.register('t1', 'c1', 'x');
      await r.listeners.register('t2', 'c1', 'x');
      expect((await r.listeners.listForTarget('t1')).map((l) => l.callerSessionId)).toEqual(['c2', 'c1']);
      expect((await r.listeners.listForCaller('c1')).map((l) => l.targetSessionId)).toEqual(['t1', 't2']);
      expect(await r.listeners.listForTarget('none')).toEqual([]);
    });

    it('popForTarget removes and returns the listeners of the target, oldest first', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.listeners.register('t', 'b', 'x');
      clock.advance(1);
      await r.listeners.register('t', 'a', 'x');
      await r.listeners.register('other', 'a', 'x');
      expect((await r.listeners.popForTarget('t')).map((l) => l.callerSessionId)).toEqual(['b', 'a']);
      expect(await r.listeners.popForTarget('t')).toEqual([]);
      expect(await r.listeners.count()).toBe(1);
    });

    it('concurrent pops never hand one listener to two callers', async () => {
      const { repositories: r } = await fresh();
      for (let i = 0; i < 20; i++) await r.listeners.register('t', `c${i}`, 'x');
      const pops = await Promise.all(Array.from({ length: 5 }, () => r.listeners.popForTarget('t')));
      const all = pops.flat().map((l) => l.callerSessionId);
      expect(all).toHaveLength(20);
      expect(new Set(all).size).toBe(20);
    });

    it('unregister, removeForCaller and resetTimestamps report what they changed', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.listeners.register('t1', 'c', 'x');
      await r.listeners.register('t2', 'c', 'x');
      await r.listeners.register('t3', 'd', 'x');
      expect(await r.listeners.unregister('t3', 'd')).toBe(true);
      expect(await r.listeners.unregister('t3', 'd')).toBe(false);
      clock.advance(5000);
      expect(await r.listeners.resetTimestamps()).toBe(2);
      expect((await r.listeners.listForCaller('c')).every((l) => l.registeredAt.getTime() === clock.now().getTime())).toBe(true);
      expect(await r.listeners.removeForCaller('c')).toBe(2);
      expect(await r.listeners.count()).toBe(0);
    });

    it('staleTargets lists each target with a listener older than maxAge once; resetTimestamps(target) resets only that target', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.listeners.register('t2', 'c1', 'x');
      await r.listeners.register('t2', 'c2', 'x');
      await r.listeners.register('t1', 'c1', 'x');
      clock.advance(60_000);
      await r.listeners.register('t3', 'c1', 'x');
      await r.listeners.register('t1', 'c3', 'x');
      clock.advance(1);
      expect(await r.listeners.staleTargets(60_001)).toEqual([]);
      expect(await r.listeners.staleTargets(60_000)).toEqual(['t1', 't2']);
      expect(await r.listeners.staleTargets(0)).toEqual(['t1', 't2', 't3']);
      expect(await r.listeners.resetTimestamps('t2')).toBe(2);
      expect(await r.listeners.staleTargets(60_000)).toEqual(['t1']);
      expect((await r.listeners.listForTarget('t2')).map((l) => l.registeredAt)).toEqual([clock.now(), clock.now()]);
      expect((await r.listeners.listForTarget('t3'))[0]!.registeredAt).toEqual(new Date(clock.now().getTime() - 1));
      expect(await r.listeners.resetTimestamps('nobody')).toBe(0);
      expect(await r.listeners.count()).toBe(5);
    });

    it('listAll returns every pair in registration order', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      expect(await r.listeners.listAll()).toEqual([]);
      await r.listeners.register('t2', 'c2', 'x2');
      clock.advance(1);
      await r.listeners.register('t1', 'c1', 'x1');
      await r.listeners.register('t0', 'c1', 'x1');
      const all = await r.listeners.listAll();
      expect(all.map((l) => [l.targetSessionId, l.callerSessionId, l.callerTmuxSession])).toEqual([
        ['t2', 'c2', 'x2'],
        ['t0', 'c1', 'x1'],
        ['t1', 'c1', 'x1'],
      ]);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const { repositories: r } = await fresh();
      await r.listeners.register('t', 'c', 'x');
      const before = await r.listeners.listAll();
      await expect(r.listeners.staleTargets(-1)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'maxAgeMs' });
      await expect(r.listeners.staleTargets(1.5)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'maxAgeMs' });
      await expect(r.listeners.resetTimestamps('')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'targetSessionId' });
      expect(await r.listeners.listAll()).toEqual(before);
      await r.listeners.unregister('t', 'c');
      await expect(r.listeners.register('', 'c', 'x')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'targetSessionId' });
      await expect(r.listeners.register('t', '', 'x')).rejects.toMatchObject({ field: 'callerSessionId' });
      await expect(r.listeners.register('t', 'c', null as unknown as string)).rejects.toMatchObject({ field: 'callerTmuxSession' });
      expect(await r.listeners.count()).toBe(0);
    });
  });
}
