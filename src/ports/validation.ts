import type { z } from 'zod';
import { inputParser } from '../domain/validation.js';
import type { QueryObserver } from '../observability.js';

/** One parameter of a port method: its name (used as the error's field prefix; '' for an input object) and schema. */
export type Param = readonly [name: string, schema: z.ZodType];

/**
 * The input schemas of every method of a port, in parameter order. Every member
 * must be listed (methods without parameters get `[]`), so nothing reaches an
 * adapter unvalidated.
 */
export type InputSchemas<T> = { readonly [K in keyof T]-?: readonly Param[] };

type Parsers = Record<string, readonly ((value: unknown) => unknown)[]>;
/** The argument parsers of every method of a port, made once per port's schemas (transactions wrap their repositories anew). */
const parsersByInputs = new WeakMap<object, Parsers>();

function parsersOf(inputs: object, method: string): readonly ((value: unknown) => unknown)[] {
  let parsers = parsersByInputs.get(inputs);
  if (parsers === undefined) {
    parsers = {};
    for (const [name, params] of Object.entries(inputs as Record<string, readonly Param[]>)) {
      parsers[name] = params.map(([label, schema]) => inputParser(schema, label));
    }
    parsersByInputs.set(inputs, parsers);
  }
  return parsers[method]!;
}

/**
 * Wraps a repository so that each call's arguments are parsed with the domain's
 * schemas, and then checked against the content rule (domain/content.ts: no NUL, no lone
 * surrogate, JSON depth, date range), before the adapter sees them. This is the one
 * place where input is validated, so both engines receive the same normalised values
 * and bad input fails with the same ValidationError (as a rejected promise) on every engine.
 * With an `observer` (only when the store is observed) each call runs as the repository call
 * `<repository>.<method>`, which observers report it and its statements under.
 */
export function validated<T extends object>(impl: T, inputs: InputSchemas<T>, observer?: QueryObserver, repository = ''): T {
  const out: Record<string, unknown> = {};
  const target = impl as Record<string, (...args: unknown[]) => unknown>;
  for (const method of Object.keys(inputs)) {
    const fn = target[method];
    if (typeof fn !== 'function') throw new TypeError(`${impl.constructor.name} has no method ${method}`);
    const parsers = parsersOf(inputs, method);
    const count = parsers.length;
    out[method] =
      count === 0
        ? fn.bind(impl)
        : (...args: unknown[]) => {
            try {
              for (let i = 0; i < count; i++) args[i] = parsers[i]!(args[i]);
            } catch (error) {
              return Promise.reject(error);
            }
            return fn.apply(impl, args);
          };
    if (observer) {
      const inner = out[method] as (...args: unknown[]) => unknown;
      const call = `${repository}.${method}`;
      out[method] = (...args: unknown[]) => observer.call(call, () => inner(...args));
    }
  }
  return out as T;
}
