import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/ports/clock.js';
import type { ContractContext } from './engines.js';
import { programArgs } from '../support/programs.js';


export function waitForWorkContract({ fresh, connection }: ContractContext): void {
  describe('Store.waitForWork', () => {
    it('resolves at once when a row is ready, false on timeout and on abort', async () => {
      const store = await fresh();
      const started = Date.now();
      expect(await store.waitForWork({ timeoutMs: 150 })).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      const controller = new AbortController();
      const aborted = store.waitForWork({ signal: controller.signal, timeoutMs: 10_000 });
      setTimeout(() => controller.abort(), 30);
      expect(await aborted).toBe(false);
      await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      expect(await store.waitForWork({ timeoutMs: 5_000 })).toBe(true);
      // A row held by a live claim is not ready work. The enqueue's own notification may still
      // be on its way (a spurious wake is allowed): the first wait absorbs it.
      await store.repositories.hookOutbox.claimBatch({ limit: 10 });
      await store.waitForWork({ timeoutMs: 300 });
      expect(await store.waitForWork({ timeoutMs: 100 })).toBe(false);
      // Closing the store ends a wait in progress.
      const pending = store.waitForWork({ timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await store.close();
      expect(await pending).toBe(false);
    });

    it('a worker blocked in waitForWork wakes soon after another process enqueues (p50 printed; bound < 200 ms)', async () => {
      // The real clock, as the other process has: its rows must be due for this store.
      const store = await fresh({ clock: systemClock });
      const child = spawn(process.execPath, [...programArgs('test/support/queue-enqueuer.ts'), JSON.stringify(connection())], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      try {
        expect((await lines.next()).value, stderr).toBe('R');
        const latencies: number[] = [];
        for (let i = 0; i < 15; i++) {
          let woke = 0;
          const waiting = store.waitForWork({ timeoutMs: 5_000 }).then((ready) => {
            woke = performance.timeOrigin + performance.now();
            return ready;
          });
          // Let the wait subscribe (and, the first time, open its listening connection).
          await new Promise((resolve) => setTimeout(resolve, i === 0 ? 300 : 20));
          child.stdin.write('go\n');
          const line = (await lines.next()).value as string;
          expect(await waiting).toBe(true);
          latencies.push(woke - Number(line.split(' ')[1]));
          for (const e of await store.repositories.hookOutbox.claimBatch({ limit: 10 })) {
            await store.repositories.hookOutbox.markDelivered(e.id, e.claimToken);
          }
        }
        latencies.sort((a, b) => a - b);
        const p50 = latencies[Math.floor(latencies.length / 2)]!;
        const max = latencies[latencies.length - 1]!;
        console.log(`waitForWork enqueue-to-wake across processes (${store.engine}): p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
        expect(p50).toBeLessThan(200);
      } finally {
        child.stdin.end('quit\n');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    });
  });
}
