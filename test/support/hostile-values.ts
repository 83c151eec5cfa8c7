import { createHash } from 'node:crypto';
import type { Repositories } from '../../src/ports/repositories.js';

/**
 * Hostile values fed through the repositories of every engine (test/integration/
 * hostile-content.test.ts). Each case writes one value and reads it back; `stored` cases
 * must give back exactly `value`, the others must be refused with a ValidationError
 * naming `field`. The expectations are stated here, from the content rule in the README,
 * not taken from what an engine happens to do.
 */
export interface HostileCase {
  name: string;
  expect: { stored: unknown } | { field: string };
  /** Writes the value and returns what reading it back gives. */
  run(r: Repositories): Promise<unknown>;
}

/** `[[[...[1]...]]]`, `depth` arrays deep, built without recursion. */
export function nestedArrays(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function sha512Hex(i: number): string {
  return createHash('sha512').update(`pkg-${i}`).digest('hex');
}

/** About 1.2 MB of package-lock.json text as npm writes it (base64 integrity hashes): indexable on every engine. */
let lockText: string | undefined;
export function packageLockText(): string {
  if (lockText) return lockText;
  const parts = ['{\n  "name": "app",\n  "version": "1.0.0",\n  "lockfileVersion": 3,\n  "requires": true,\n  "packages": {\n'];
  let length = parts[0]!.length;
  for (let i = 0; length < 1_200_000; i++) {
    const name = `pkg-${i.toString(36)}`;
    const entry =
      `    "node_modules/${name}": {\n      "version": "1.${i % 50}.${i % 7}",\n` +
      `      "resolved": "https://registry.npmjs.org/${name}/-/${name}-1.${i % 50}.${i % 7}.tgz",\n` +
      `      "integrity": "sha512-${Buffer.from(sha512Hex(i), 'hex').toString('base64')}",\n      "dev": true,\n      "license": "MIT"\n    },\n`;
    parts.push(entry);
    length += entry.length;
  }
  lockText = `${parts.join('')}  }\n}\n`;
  return lockText;
}

/**
 * About 1.2 MB of the integrity hashes of a package lock in hex (as `npm ls --json` and
 * older lockfiles print them): so many distinct words that PostgreSQL cannot build the
 * search vector (`54000 string is too long for tsvector`).
 */
export function denseLockText(): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < 1_200_000; i++) {
    const line = `"sha512-${sha512Hex(i)}",\n`;
    parts.push(line);
    length += line.length;
  }
  return parts.join('');
}

async function sessionWith(r: Repositories, patch: Record<string, unknown>, read: (s: Record<string, unknown>) => unknown): Promise<unknown> {
  const session = await r.sessions.create({ computerName: 'hostile' });
  await r.sessions.update(session.id, patch);
  const back = await r.sessions.get(session.id);
  return read(back as unknown as Record<string, unknown>);
}

const text = (value: string): HostileCase['run'] => (r) => sessionWith(r, { lastOutputRaw: value }, (s) => s.lastOutputRaw);
const json = (value: unknown): HostileCase['run'] => (r) => sessionWith(r, { sessionMetadata: value }, (s) => s.sessionMetadata);

let mirrorCount = 0;
async function mirrorWith(r: Repositories, fields: Record<string, unknown>, read: (m: Record<string, unknown>) => unknown): Promise<unknown> {
  const sourceIdentity = `hostile-${++mirrorCount}`;
  await r.mirrors.upsert({ sourceIdentity, agent: 'claude', ...fields });
  return read((await r.mirrors.get(sourceIdentity)) as unknown as Record<string, unknown>);
}
const date = (iso: string | number): HostileCase['run'] => (r) =>
  mirrorWith(r, { timestampStart: new Date(iso), timestampEnd: new Date(iso) }, (m) => [
    (m.timestampStart as Date).toISOString(),
    (m.timestampEnd as Date).toISOString(),
  ]);

const PAIR = 'emoji \uD83D\uDE80 pair';
const CONTROLS = 'controls \u0001\u0007\u001b[31m\u007f noncharacters \uFFFE\uFFFF separators \u2028\u2029 bom \uFEFF';

export const HOSTILE_CASES: HostileCase[] = [
  { name: 'NUL in terminal output (text)', expect: { field: 'patch.lastOutputRaw' }, run: text('$ make\n\u0000\u0000partial line') },
  { name: 'a lone NUL (text)', expect: { field: 'patch.lastOutputRaw' }, run: text('\u0000') },
  { name: 'NUL in a JSON string', expect: { field: 'patch.sessionMetadata' }, run: json({ out: ['ok', 'a\u0000b'] }) },
  { name: 'NUL in a JSON key', expect: { field: 'patch.sessionMetadata' }, run: json({ 'k\u0000': 1 }) },
  { name: 'a lone high surrogate (text)', expect: { field: 'patch.lastOutputRaw' }, run: text('cut emoji \uD83D') },
  { name: 'a lone low surrogate (text)', expect: { field: 'patch.lastOutputRaw' }, run: text('\uDE80 cut emoji') },
  { name: 'a lone surrogate in a JSON string', expect: { field: 'patch.sessionMetadata' }, run: json({ s: 'x\uDE00' }) },
  { name: 'a lone surrogate in a JSON key', expect: { field: 'patch.sessionMetadata' }, run: json({ '\uD800': true }) },
  { name: 'a surrogate pair (text)', expect: { stored: PAIR }, run: text(PAIR) },
  { name: 'control characters and noncharacters (text)', expect: { stored: CONTROLS }, run: text(CONTROLS) },
  { name: 'control characters and noncharacters (JSON)', expect: { stored: { [CONTROLS]: CONTROLS } }, run: json({ [CONTROLS]: CONTROLS }) },
  { name: 'JSON 100 levels deep (the limit)', expect: { stored: { deep: nestedArrays(99) } }, run: json({ deep: nestedArrays(99) }) },
  { name: 'JSON 101 levels deep', expect: { field: 'patch.sessionMetadata' }, run: json({ deep: nestedArrays(100) }) },
  { name: 'JSON 1001 levels deep', expect: { field: 'patch.sessionMetadata' }, run: json({ deep: nestedArrays(1000) }) },
  { name: 'JSON 100,000 levels deep', expect: { field: 'patch.sessionMetadata' }, run: json({ deep: nestedArrays(100_000) }) },
  {
    name: 'a 1.2 MB mirror transcript of package-lock.json text',
    expect: { stored: [packageLockText().length, true, true] },
    run: async (r) =>
      mirrorWith(r, { title: 'npm install', conversationText: packageLockText() }, (m) => m.conversationText).then(async (back) => [
        (back as string).length,
        back === packageLockText(),
        (await r.mirrors.search('integrity sha512 registry')).some((m) => m.conversationText.length === (back as string).length),
      ]),
  },
  {
    name: 'a 1.2 MB mirror transcript of hex-hash package-lock text (search index too large)',
    expect: { field: 'conversationText' },
    run: (r) => mirrorWith(r, { conversationText: denseLockText() }, (m) => (m.conversationText as string).length),
  },
  {
    name: 'NUL in a mirror transcript',
    expect: { field: 'conversationText' },
    run: (r) => mirrorWith(r, { conversationText: 'before\u0000after' }, (m) => m.conversationText),
  },
  { name: 'NUL in a memory fact', expect: { field: 'facts.1' }, run: (r) => r.memory.save({ memorySessionId: 'm', project: 'p', type: 'discovery', title: 't', facts: ['ok', 'bad\u0000'] }) },
  { name: 'NUL in a search query', expect: { field: 'query' }, run: (r) => r.mirrors.search('find\u0000me') },
  { name: 'a date in 1850', expect: { stored: ['1850-01-01T00:00:00.000Z', '1850-01-01T00:00:00.000Z'] }, run: date('1850-01-01T00:00:00.000Z') },
  { name: 'a date in 1900', expect: { stored: ['1900-01-01T00:00:00.000Z', '1900-01-01T00:00:00.000Z'] }, run: date('1900-01-01T00:00:00.000Z') },
  { name: 'a date in 1905 with milliseconds', expect: { stored: ['1905-06-30T23:59:59.999Z', '1905-06-30T23:59:59.999Z'] }, run: date('1905-06-30T23:59:59.999Z') },
  { name: 'the first storable date', expect: { stored: ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'] }, run: date('0001-01-01T00:00:00.000Z') },
  { name: 'the last storable date', expect: { stored: ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'] }, run: date('9999-12-31T23:59:59.999Z') },
  { name: 'a date in year 10000', expect: { field: 'timestampStart' }, run: date('+010000-01-01T00:00:00.000Z') },
  { name: "JavaScript's last date (+275760-09-13)", expect: { field: 'timestampStart' }, run: date(8.64e15) },
  { name: 'a date before year 1', expect: { field: 'timestampStart' }, run: date('0000-12-31T23:59:59.999Z') },
];
