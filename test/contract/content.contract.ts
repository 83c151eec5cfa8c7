import { describe, expect, it } from 'vitest';
import { HOSTILE_CASES } from '../support/hostile-values.js';
import type { ContractContext } from './engines.js';

/**
 * The content rule (README "What can be stored") in this process's time zone; the
 * cross-engine comparison under three time zones is test/integration/hostile-content.test.ts.
 */
export function contentContract({ fresh }: ContractContext): void {
  describe('What can be stored', () => {
    for (const c of HOSTILE_CASES) {
      if ('stored' in c.expect) {
        const stored = c.expect.stored;
        it(`${c.name}: stored and given back exactly`, async () => {
          const { repositories } = await fresh();
          expect(await c.run(repositories)).toEqual(stored);
        });
      } else {
        const field = c.expect.field;
        it(`${c.name}: refused with a ValidationError naming ${field}, nothing written`, async () => {
          const { repositories } = await fresh();
          await expect(c.run(repositories)).rejects.toMatchObject({ name: 'ValidationError', code: 'TC_VALIDATION', field });
          expect(await repositories.mirrors.list()).toEqual([]);
          expect((await repositories.sessions.list({ includeInitializing: true, includeHeadless: true, includeClosed: true })).every((s) => Object.keys(s.sessionMetadata).length === 0 && s.lastOutputRaw === null)).toBe(true);
        });
      }
    }
  });
}
