import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteCodec } from '../../src/adapters/sqlite/sqlite-codec.js';
import { ValidationError } from '../../src/domain/errors.js';
import { HookEventInput } from '../../src/domain/hook-outbox.js';
import { InboundEnqueueInput } from '../../src/domain/inbound-queue.js';
import { AutoId, Id, NOT_CLEARED, parseInFull, parseInput, quickParserOf } from '../../src/domain/validation.js';
import { ClaimToken } from '../../src/domain/work-queue.js';
import { SessionListFilter, SessionPatch, sessionFields } from '../../src/domain/session.js';

const samples: unknown[] = [
  1, 2, 0, -1, -0, 1.5, 2 ** 53 - 1, 2 ** 53, Number.MAX_VALUE, Infinity, -Infinity, NaN, '1', '', 'a', ' ', 'session-1',
  '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\ud83d\ude00', null, undefined, true, {}, [], [1], new Date(0), 10n,
];

describe('parseInput quick checks (ids and claim tokens skip zod)', () => {
  for (const [name, schema] of [
    ['AutoId', AutoId],
    ['Id', Id],
    ['ClaimToken', ClaimToken],
  ] as const) {
    it(`${name}: every value is accepted or refused exactly as the full zod parse and content rule decide`, () => {
      for (const value of samples) {
        let quick: unknown;
        let slow: unknown;
        try {
          quick = { ok: parseInput(schema, value, 'id') };
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          quick = { refused: (error as ValidationError).message };
        }
        try {
          slow = { ok: parseInFull(schema, value, 'id') };
        } catch (error) {
          slow = { refused: (error as ValidationError).message };
        }
        expect(quick, `${name} ${String(value)}`).toEqual(slow);
      }
    });
  }

  it('a refused value still names its problem (the quick check only clears)', () => {
    expect(() => parseInput(ClaimToken, 'a\u0000b', 'token')).toThrow(/token.*NUL/);
    expect(() => parseInput(AutoId, 0, 'id')).toThrow(/id: must be positive|must be positive/);
    expect(z.string().safeParse('x').success).toBe(true);
  });
});

/** The outcome of parseInput: the value (with the key order of every plain object in it) or the error's message. */
function outcome(schema: z.ZodType, value: unknown, label: string, parse: typeof parseInput = parseInput): unknown {
  try {
    const parsed = parse(schema, value, label);
    return { ok: parsed, keys: keyOrder(parsed) };
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { refused: (error as ValidationError).message };
  }
}

/** The keys of every object in `value`, in order, and its prototype (toStrictEqual only compares constructors). */
function keyOrder(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  const prototype = proto === Object.prototype ? 'Object' : proto === Array.prototype ? 'Array' : proto === null ? 'null' : ['other', keyOrder(proto)];
  return [prototype, Object.entries(value).map(([key, inner]) => [key, keyOrder(inner)])];
}

const long = 'x'.repeat(1_000_000);
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
const withSymbol = (enumerable: boolean) => {
  const payload: Record<string | symbol, unknown> = { a: 1 };
  Object.defineProperty(payload, Symbol('s'), { value: 2, enumerable });
  return payload;
};
const hidden = Object.defineProperty({ a: 1 }, 'h', { value: 'x\u0000', enumerable: false });
let reads = 0;
const getter = Object.defineProperty({}, 'a', { get: () => ++reads, enumerable: true });
class Payload {
  a = 1;
}
const sparse: unknown[] = ['a'];
sparse[2] = 'b';
class Files extends Array<string> {}
const dates = [new Date(0), new Date(Number.NaN), new Date('0000-12-31T00:00:00Z'), new Date('9999-12-31T23:59:59.999Z'), new Date(8.64e15)];

/** Payload-like values (JsonObject members) every object input is tried with. */
const payloads: unknown[] = [
  {}, { a: 1, b: 'x', c: [1, { d: null }] }, { '2': 1, '1': 2, b: 3 }, null, [], [1], 'text', 1, NaN, true, new Date(0), new Map(),
  Object.create(null), Object.assign(Object.create(null), { a: 1 }), new Payload(), JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}'),
  { constructor: 1 }, { constructor: () => 0 }, { constructor: Object }, { hasOwnProperty: 1 }, withSymbol(true), withSymbol(false), hidden, getter,
  { a: NaN }, { a: Infinity }, { a: 1n }, { a: () => 1 }, { a: Symbol('x') }, { a: undefined }, { 'k\u0000': 1 }, { '\ud800': 1 }, { a: 'v\u0000' },
  { a: '\udc00' }, { a: long }, nested(99), nested(100), nested(101), { a: new Date(Number.NaN) }, { a: new Date(0) }, { a: dates[4] },
  Object.create({ inherited: 1 }),
];
/** Text-like values every string member is tried with. */
const flags: unknown[] = [true, false, 0, 1, 'true', null, undefined, new Boolean(true)];
const texts: unknown[] = ['', 'a', ' ', long, 'a\u0000', '\ud800', 'x\udc00y', '\ud83d\ude00', null, undefined, 0, 1, NaN, true, [], ['a'], {}, new String('a'), Symbol('s'), 1n];

/** `base` with `key` set to each of `values` (and once without `key`). */
function variants(base: Record<string, unknown>, key: string, values: unknown[]): unknown[] {
  const { [key]: _, ...without } = base;
  return [without, ...values.map((value) => ({ ...base, [key]: value }))];
}

function objectCases(base: Record<string, unknown>, members: Record<string, unknown[]>): unknown[] {
  const cases: unknown[] = [
    base,
    { ...base, extra: 1 },
    { ...base, __proto__: { polluted: 1 } },
    JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(base).slice(1)}`),
    { ...base, constructor: Object },
    Object.assign(Object.create(null), base),
    Object.create(base),
    Object.assign(new Payload(), base),
    Object.assign([], base),
    new Date(0),
    null,
    undefined,
    'text',
    1,
    [],
    {},
  ];
  for (const [key, values] of Object.entries(members)) cases.push(...variants(base, key, values));
  return cases;
}

/** sessions.list filters: every member with each of its values, and a key the filter does not have. */
const listFilterCases = objectCases(
  { computerName: 'c', includeClosed: true },
  {
    computerName: texts,
    lastInputOrigin: texts,
    initiatorSessionId: texts,
    ownerPerson: texts,
    includeClosed: flags,
    includeInitializing: flags,
    includeHeadless: flags,
    limit: [1, 10_000, 10_001, 0, -1, 1.5, 2 ** 53, NaN, '1', null, undefined],
  },
);

const quickObjects: [string, z.ZodType, string, Record<string, unknown>, unknown[]][] = [
  [
    'InboundEnqueueInput',
    InboundEnqueueInput,
    '',
    { sessionId: 's-1', origin: 'telegram', messageType: 'text', content: 'hello' },
    objectCases(
      { sessionId: 's-1', origin: 'telegram', messageType: 'text', content: 'hello' },
      {
        sessionId: texts,
        origin: texts,
        messageType: ['text', 'voice', 'file', 'Text', 'toString', '__proto__', ...texts],
        content: texts,
        payload: [undefined, ...payloads],
        actorId: texts,
        actorName: texts,
        actorAvatarUrl: texts,
        sourceMessageId: texts,
        sourceChannelId: texts,
      },
    ),
  ],
  [
    'HookEventInput',
    HookEventInput,
    '',
    { sessionId: 's-1', eventType: 'message_delivered', payload: { inbound: 1 } },
    objectCases(
      { sessionId: 's-1', eventType: 'message_delivered', payload: { inbound: 1 } },
      {
        sessionId: texts,
        eventType: texts,
        payload: [undefined, ...payloads],
        nextAttemptAt: [...dates, null, undefined, '2026-01-01T00:00:00Z', 'not a date', 0, 1e20, NaN, {}],
      },
    ),
  ],
  [
    'SessionPatch',
    SessionPatch,
    'patch',
    { lastMessageSent: 'hello' },
    [
      ...objectCases(
        { lastMessageSent: 'hello', title: 't' },
        {
          title: texts,
          lastMessageSent: texts,
          computerName: texts,
          visibility: texts,
          lifecycleStatus: ['active', 'closed', 'open', ...texts],
          terminalSize: ['80x24', '80x', 'x24', '80x24\n', '\n80x24', '80X24', '١x٢', ...texts],
          principal: ['human:a@b', 'system:x', 'human:', 'human:\n', 'robot:x', 'human:a\u0000', ...texts],
          adapterMetadata: payloads,
          sessionMetadata: payloads,
          initiatedByAi: [true, false, 0, 1, 'true', null, undefined],
          charOffset: [0, -0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, NaN, Infinity, null, '1', undefined],
          ownerUid: [0, -0, -5, 1.5, 2 ** 53, NaN, null, undefined, '1'],
          transcriptFiles: [[], ['a', 'b'], sparse, ['a', 1], ['a\u0000'], ['\ud800'], Files.from(['a']), [long], 'a', null, undefined, { 0: 'a', length: 1 }],
          lastActivity: [...dates, null, undefined, '2026-01-01T00:00:00Z', 0],
          lastMessageSentAt: [...dates, null, undefined, '2026-01-01T00:00:00Z', 0],
          closedAt: [...dates, null, undefined, 'x'],
          id: ['s-1'],
        },
      ),
      { title: undefined },
      { lastMessageSent: undefined, lastMessageSentAt: undefined },
      Object.create({ title: 't' }),
    ],
  ],
  [
    'SessionListFilter',
    SessionListFilter,
    'filter',
    { computerName: 'c' },
    [...listFilterCases, {}, Object.create({ computerName: 'c' })],
  ],
  [
    'SessionListFilter.optional()',
    SessionListFilter.optional(),
    'filter',
    { includeClosed: true },
    [undefined, null, {}, ...listFilterCases],
  ],
];

describe('parseInput quick object parsers (the hot path inputs skip zod)', () => {
  for (const [name, schema, label, ordinary, cases] of quickObjects) {
    it(`${name}: the quick parser clears an ordinary input`, () => {
      const parsed = quickParserOf(schema)!(ordinary);
      expect(parsed).not.toBe(NOT_CLEARED);
      expect(parsed).toStrictEqual(schema.clone().parse(ordinary));
    });

    it(`${name}: every input (hostile ones included) is accepted, with the same value and key order, or refused with the same message as the full zod parse and content rule`, () => {
      let cleared = 0;
      for (const value of cases) {
        if (quickParserOf(schema)!(value) !== NOT_CLEARED) cleared++;
        reads = 0;
        const quick = outcome(schema, value, label);
        const quickReads = reads;
        reads = 0;
        const slow = outcome(schema, value, label, parseInFull);
        // A getter is read as often by both (once).
        const slowReads = reads;
        expect(quick, `${name} ${describeValue(value)}`).toStrictEqual(slow);
        expect(quickReads, `${name} ${describeValue(value)} getter reads`).toBe(slowReads);
      }
      // Not vacuous: many inputs took the quick path.
      expect(cleared).toBeGreaterThan(10);
    });
  }

  it('a key Object.prototype gains is seen as zod sees it (present, with the inherited value)', () => {
    for (const [name, schema, label, ordinary] of quickObjects) {
      for (const key of ['title', 'payload', 'actorId', 'nextAttemptAt', 'sourceChannelId', 'extra']) {
        for (const enumerable of [false, true]) {
          for (const inherited of ['x', 5, undefined, null]) {
            Object.defineProperty(Object.prototype, key, { value: inherited, enumerable, configurable: true, writable: true });
            try {
              expect(outcome(schema, { ...ordinary }, label), `${name} ${key} ${enumerable} ${String(inherited)}`).toStrictEqual(
                outcome(schema, { ...ordinary }, label, parseInFull),
              );
            } finally {
              delete (Object.prototype as Record<string, unknown>)[key];
            }
          }
        }
      }
    }
  });

  it("the parsed value is not the caller's object: a later change of the input does not reach it", () => {
    const payload = { a: 1 };
    const input = { sessionId: 's', eventType: 'e', payload };
    const parsed = parseInput(HookEventInput, input, '') as { payload: Record<string, unknown> };
    payload.a = 2;
    expect(parsed.payload).toStrictEqual({ a: 1 });
    const files = ['a'];
    const patch = parseInput(SessionPatch, { transcriptFiles: files }, 'patch') as { transcriptFiles: string[] };
    files.push('b');
    expect(patch.transcriptFiles).toStrictEqual(['a']);
  });
});

function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 10)}...(${v.length})` : typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

describe('SqliteCodec.toRow', () => {
  const codec = new SqliteCodec(sessionFields);
  it('gives the columns in field order whatever the order of the keys, the same shape for the same fields, and skips undefined', () => {
    const at = new Date(1_700_000_000_000);
    const a = codec.toRow({ lastMessageSent: 'hi', title: 't', lastMessageSentAt: at, description: undefined });
    const b = codec.toRow({ lastMessageSentAt: at, title: 't', lastMessageSent: 'hi' });
    expect(a).toEqual(b);
    expect(a.columns).toEqual(['title', 'last_message_sent', 'last_message_sent_at']);
    expect(a.params).toEqual(['t', 'hi', at.getTime()]);
    expect(codec.toRow({ title: 't' }).shape).not.toBe(a.shape);
    expect(codec.toRow({ notAField: 1 } as never)).toEqual({ columns: [], params: [], shape: 0 });
  });
});
