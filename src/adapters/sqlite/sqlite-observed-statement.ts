import type Database from 'better-sqlite3';
import type { QueryObserver } from '../../observability.js';

const EXECUTING = new Set(['run', 'get', 'all']);

/**
 * `statement` with its `run`, `get` and `all` reported to `observer` (with their duration
 * and any error). `pluck`, `raw`, `expand`, `safeIntegers` and `bind` return the observed
 * statement so a chained call is reported too. `iterate` runs lazily and is reported when
 * it is called, with the time to its first row only.
 */
export function observedStatement(statement: Database.Statement, observer: QueryObserver): Database.Statement {
  const proxy: Database.Statement = new Proxy(statement, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof key === 'string' && (EXECUTING.has(key) || key === 'iterate')) {
        return (...args: unknown[]) => {
          const start = performance.now();
          try {
            const result = fn.apply(target, args);
            observer.report(target.source, args.length === 1 ? args[0] : args, start);
            return result;
          } catch (error) {
            observer.report(target.source, args.length === 1 ? args[0] : args, start, error);
            throw error;
          }
        };
      }
      return (...args: unknown[]) => {
        const result = fn.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
