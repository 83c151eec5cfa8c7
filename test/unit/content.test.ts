import { describe, expect, it } from 'vitest';
import { contentProblem, jsonTextProblem, MAX_JSON_DEPTH } from '../../src/domain/content.js';
import { JsonText } from '../../src/ports/bulk-loader.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('contentProblem', () => {
  it.each([
    ['plain text', 'hello wörld 🎉'],
    ['empty text', ''],
    ['a surrogate pair', '\uD83D\uDE00'],
    ['null', null],
    ['a number', 42],
    ['a boolean', false],
    ['bytes', Buffer.from([0, 1, 2])],
    ['a date in range', new Date('1850-06-01T12:00:00.123Z')],
    ['JSON at the depth limit', nested(MAX_JSON_DEPTH)],
    ['a JSON object with an undefined member', { a: undefined, b: [1, 'x'] }],
    ['a shared (not circular) sub-object', (() => { const s = { x: 1 }; return { a: s, b: s }; })()],
  ])('accepts %s', (_name, value) => {
    expect(contentProblem(value)).toBeNull();
  });

  it.each([
    ['a NUL in text', 'ab\u0000c', /NUL.*offset 2/],
    ['a lone high surrogate', 'a\uD800b', /lone surrogate \(U\+D800\) at offset 1/],
    ['a lone low surrogate at the end', 'ab\uDC01', /lone surrogate \(U\+DC01\) at offset 2/],
    ['a reversed pair', '\uDE00\uD83D', /lone surrogate/],
    ['a NUL deep in JSON', { a: [{ b: 'x\u0000' }] }, /^a\.0\.b: contains a NUL/],
    ['a NUL in an object key', { 'k\u0000': 1 }, /^key "k\\u0000" contains a NUL/],
    ['a lone surrogate in a nested key', { a: { '\uD800': 1 } }, /^a: key .* lone surrogate/],
    ['JSON one level past the limit', nested(MAX_JSON_DEPTH + 1), /deeper than 100/],
    ['JSON 1001 levels deep', nested(1001), /deeper than 100/],
    ['JSON 100,000 levels deep', nested(100_000), /deeper than 100/],
    ['a cycle', (() => { const a: Record<string, unknown> = {}; a.self = a; return a; })(), /^self: circular reference/],
    ['NaN in JSON', { n: NaN }, /^n: NaN is not a finite number/],
    ['a function in JSON', { f: () => 1 }, /^f: a function cannot be stored/],
    ['an invalid date', new Date(NaN), /not a valid date/],
    ['a date before year 1', new Date('-000001-12-31T00:00:00Z'), /outside the storable range/],
    ['a date after year 9999', new Date('+010000-01-01T00:00:00Z'), /outside the storable range/],
    ['the latest JavaScript date', new Date(8.64e15), /outside the storable range/],
  ])('refuses %s', (_name, value, reason) => {
    expect(contentProblem(value)).toMatch(reason);
  });

  it('checks 100,000-level JSON without growing the stack', () => {
    // Deeper than any recursive walk survives: the check must still answer, not throw RangeError.
    expect(() => contentProblem(nested(1_000_000))).not.toThrow();
  });
});

describe('jsonTextProblem', () => {
  it.each([
    ['plain JSON', '{"a":[1,"x",{"b":null}]}', null],
    ['non-ASCII and escapes that are fine', '["caf\\u00e9","\\n","\\ud83d\\ude80","é"]', null],
    ['many brackets side by side, not deep', JSON.stringify(Array.from({ length: 500 }, () => [])), null],
    ['an escaped NUL', '{"out":"a\\u0000b"}', /^out: contains a NUL/],
    ['an escaped NUL in a key', '{"k\\u0000":1}', /key .* NUL/],
    ['an escaped lone surrogate', '["\\uD800x"]', /^0: contains a lone surrogate/],
    ['JSON 101 deep', JSON.stringify(nested(101)), /deeper than 100/],
    ['JSON 100,000 deep', '['.repeat(100_000) + ']'.repeat(100_000), /deeper than 100/],
  ])('%s', (_name, text, expected) => {
    if (expected === null) expect(jsonTextProblem(text)).toBeNull();
    else expect(jsonTextProblem(text)).toMatch(expected);
  });
});

describe('contentProblem on JsonText', () => {
  it('checks JSON passed on unparsed by what it holds', () => {
    expect(contentProblem(new JsonText('{"a":"x\\u0000"}'))).toMatch(/^a: contains a NUL/);
    expect(contentProblem(new JsonText('{"a":"x"}'))).toBeNull();
  });
});
