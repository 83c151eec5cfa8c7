import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteCodec } from '../../src/adapters/sqlite/sqlite-codec.js';
import { ValidationError } from '../../src/domain/errors.js';
import { AutoId, Id, parseInput } from '../../src/domain/validation.js';
import { ClaimToken } from '../../src/domain/work-queue.js';
import { sessionFields } from '../../src/domain/session.js';

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
      // The same schema without the quick check: a copy zod parses in full.
      const full = schema.clone();
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
          slow = { ok: parseInput(full, value, 'id') };
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
