import { describe, expect, it } from 'vitest';
import { DAY } from '../../src/domain/fields.js';
import type { Repositories } from '../../src/ports/repositories.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

/** One outbox with a batch claim: enqueue due at `at`, claim up to `limit`. */
interface Outbox {
  name: string;
  setUp(r: Repositories): Promise<void>;
  enqueue(r: Repositories, at: Date): Promise<number>;
  claim(r: Repositories, limit: number): Promise<number[]>;
}

const OUTBOXES: Outbox[] = [
  {
    name: 'hook outbox',
    setUp: async () => {},
    enqueue: (r, at) => r.hookOutbox.enqueue({ sessionId: 's', eventType: 'stop', nextAttemptAt: at }),
    claim: async (r, limit) => (await r.hookOutbox.claimBatch({ limit })).map((e) => e.id),
  },
  {
    name: 'webhook outbox',
    setUp: async (r) => {
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
    },
    enqueue: (r, at) => r.webhooks.enqueue({ contractId: 'c1', event: { type: 'session.closed' }, targetUrl: 'https://example.com/h', nextAttemptAt: at }),
    claim: async (r, limit) => (await r.webhooks.claimBatch({ limit })).map((d) => d.id),
  },
];

/**
 * A claim takes the oldest claimable rows however many open rows that are not claimable
 * (held by a live claim, waiting for a later attempt) come before them in claim order:
 * a few, a batch's worth, and hundreds (more than an adapter may read in claim order
 * before it looks for the due rows another way).
 */
export function outboxClaimOrderContract({ fresh }: ContractContext): void {
  describe('outbox claim order', () => {
    for (const outbox of OUTBOXES) {
      it(`${outbox.name}: claimBatch takes the oldest due rows past any number of held and waiting rows ahead of them`, async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        await outbox.setUp(r);
        const enqueue = async (count: number, at: () => Date) => {
          const ids: number[] = [];
          for (let i = 0; i < count; i++) {
            ids.push(await outbox.enqueue(r, at()));
            clock.advance(1);
          }
          return ids;
        };
        const now = () => clock.now();
        const tomorrow = () => new Date(clock.now().getTime() + DAY);

        const held = await enqueue(5, now);
        expect(await outbox.claim(r, 5)).toEqual(held);
        const due = await enqueue(15, now);
        // The batch's worth of oldest rows holds 5 held ones: the claim reads on.
        expect(await outbox.claim(r, 10)).toEqual(due.slice(0, 10));
        const waiting = await enqueue(300, tomorrow);
        const dueLater = await enqueue(12, now);
        // 15 held and 300 waiting rows come before the last 7 due ones.
        expect(await outbox.claim(r, 10)).toEqual([...due.slice(10), ...dueLater.slice(0, 5)]);
        expect(await outbox.claim(r, 100)).toEqual(dueLater.slice(5));
        expect(await outbox.claim(r, 100)).toEqual([]);

        // A day on, every lock has expired and every waiting row is due: all of them, oldest first.
        clock.advance(DAY);
        expect(await outbox.claim(r, 1000)).toEqual([...held, ...due, ...waiting, ...dueLater]);
      });
    }
  });
}
