import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { maskSecrets, normalizePostgresUrl } from '../../src/config/secrets.js';
import { sanitise } from '../../src/cli/command.js';
import { describeLocation } from '../../src/container.js';

const cwd = '/nonexistent';

describe('maskSecrets', () => {
  it.each([
    ['postgresql://u:pw-Secret1@h/db', 'postgresql://u:****@h/db'],
    ['postgres://u:pa@ss@host:5432/db', 'postgres://u:****@host:5432/db'],
    ['postgresql://u:pa@ss/wo@rd@host/db', 'postgresql://u:****@host/db'],
    ['postgresql://u:p%40ss%2Fw@host/db', 'postgresql://u:****@host/db'],
    ['postgresql://u@h/db?sslmode=disable&password=X-Secret&application_name=a', 'postgresql://u@h/db?sslmode=disable&password=****&application_name=a'],
    ['connect to postgresql://u:p@ss@h/db failed: timeout', 'connect to postgresql://u:****@h/db failed: timeout'],
    ['postgresql://h/db', 'postgresql://h/db'],
  ])('%s', (text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
  });

  it('masks a known secret in every form it can take: as written, decoded, percent-encoded', () => {
    const secret = 'pa@ss/w rd';
    for (const form of [secret, encodeURIComponent(secret), encodeURI(secret)]) {
      expect(maskSecrets(`error near ${form}!`, secret)).toBe('error near ****!');
    }
  });
});

describe('normalizePostgresUrl', () => {
  it('reads the userinfo up to the LAST @, so the host is the real host, not a password fragment', () => {
    for (const password of ['pa@ss', 'pa@ss/wo@rd', 'p#w@rd', 'p:w', '100%']) {
      const url = new URL(normalizePostgresUrl(`postgresql://tc:${password}@db.example:5433/app`));
      expect(url.hostname).toBe('db.example');
      expect(url.port).toBe('5433');
      expect(url.pathname).toBe('/app');
      expect(decodeURIComponent(url.password)).toBe(password);
    }
  });

  it('leaves an already encoded password as it is', () => {
    expect(normalizePostgresUrl('postgresql://tc:pa%40ss@db/app')).toBe('postgresql://tc:pa%40ss@db/app');
  });

  it('resolveConfig hands the driver the normalised URL; its location masks the password', () => {
    const { database } = resolveConfig({ env: { DATABASE_URL: 'postgresql://tc:pa@ss@db/app' }, cwd });
    expect(database.postgresql.url).toBe('postgresql://tc:pa%40ss@db/app');
    expect(describeLocation(database)).toBe('postgresql://tc:****@db/app');
  });
});

describe('sanitise (every line the CLI writes)', () => {
  it('writes control characters escaped, JSON-compatible', () => {
    const hostile = 'evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e';
    const line = sanitise(`  ${hostile}  3`);
    expect(line).toBe('  evil\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202e  3');
    expect(JSON.parse(sanitise(JSON.stringify({ t: hostile })))).toEqual({ t: hostile });
  });

  it('lets no control through, not even a leading rewrite-line (progress goes through io.status only)', () => {
    expect(sanitise('\x1b[1A\x1b[2K  t\x1b[1A: 5 rows')).toBe('\\u001b[1A\\u001b[2K  t\\u001b[1A: 5 rows');
  });
});

describe('config errors', () => {
  it('a YAML file that does not parse is named without quoting its text (which may hold the password)', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tc-config-'));
    try {
      writeFileSync(join(dir, 'teleclaude.yml'), 'database:\n  postgresql:\n    password: Zq8v: secret\n');
      expect(() => resolveConfig({ env: {}, cwd: dir })).toThrow(/cannot read .*teleclaude\.yml/);
      expect(() => resolveConfig({ env: {}, cwd: dir })).not.toThrow(/Zq8v/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
