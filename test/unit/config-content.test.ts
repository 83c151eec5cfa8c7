import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';

const cwd = tmpdir();
const pg = (overrides: Record<string, unknown>) => () =>
  resolveConfig({ env: {}, cwd, overrides: { engine: 'postgresql', postgresql: overrides } } as Parameters<typeof resolveConfig>[0]);
const url = (u: string) => () => resolveConfig({ env: { DATABASE_URL: u }, cwd });

describe('configuration: nothing can inject startup parameters or override schema', () => {
  it('an applicationName with a NUL (which would end it and start another startup parameter) is refused', () => {
    expect(pg({ applicationName: 'tc\u0000options\u0000-c search_path=evil' })).toThrow(
      expect.objectContaining({ code: 'TC_CONFIG', message: expect.stringMatching(/database\.postgresql\.applicationName: must be printable ASCII/) }),
    );
    expect(pg({ applicationName: 'tc\nnext' })).toThrow(/applicationName/);
    expect(pg({ applicationName: 'x'.repeat(64) })).toThrow(/applicationName: must be at most 63/);
    expect(pg({ applicationName: 'teleclaude-worker 2' })().database.postgresql.applicationName).toBe('teleclaude-worker 2');
  });

  it.each(['user', 'database', 'host', 'password'])('a %s with a NUL is refused, naming the key', (key) => {
    expect(pg({ [key]: 'a\u0000options\u0000-c search_path=evil' })).toThrow(new RegExp(`database\\.postgresql\\.${key}: must not contain a NUL`));
  });

  it.each([
    ['options', 'postgresql://tc@db/app?options=-c%20search_path%3Devil'],
    ['options', 'postgresql://tc@db/app?sslmode=disable&options=-csearch_path%3Devil'],
    ['client_encoding', 'postgresql://tc@db/app?client_encoding=LATIN1'],
    ['replication', 'postgresql://tc@db/app?replication=database'],
  ])('a URL parameter %s is refused with TC_CONFIG naming it (it would override schema or the encoding)', (name, u) => {
    expect(url(u)).toThrow(expect.objectContaining({ code: 'TC_CONFIG', message: expect.stringContaining(`database.postgresql.url: parameter ${name} is not allowed`) }));
  });

  it.each([
    ['user', 'postgresql://tc%00options%00-csearch_path=evil@db/app'],
    ['database', 'postgresql://tc@db/app%00options'],
    ['parameter application_name', 'postgresql://tc@db/app?application_name=x%00options%00-c'],
  ])('a NUL hidden in the URL (%s) is refused without showing the value', (part, u) => {
    expect(url(u)).toThrow(`database.postgresql.url: ${part} must not contain a NUL character`);
  });

  it('a password with a NUL is refused without showing the password', () => {
    let message = '';
    try {
      url('postgresql://tc:hunter2%00secret@db/app')();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/url: password must not contain a NUL/);
    expect(message).not.toContain('hunter2');
  });

  it('ordinary URLs still pass: parameters, sockets, unencoded @ in the password, several servers', () => {
    // An unencoded @ in the password is taken as part of it (userinfo runs to the last @)
    // and comes back percent-encoded, as the driver needs it.
    for (const [u, normalised] of [
      ['postgresql://tc:pw@db:5432/app?sslmode=require&application_name=worker', 'postgresql://tc:pw@db:5432/app?sslmode=require&application_name=worker'],
      ['postgresql:///app?host=/var/run/postgresql', 'postgresql:///app?host=/var/run/postgresql'],
      ['postgres://tc:pa@ss@db/app', 'postgres://tc:pa%40ss@db/app'],
      ['postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write', 'postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write'],
      ['postgresql://tc:pa@ss@h1:5432,[::1]:5433/db', 'postgresql://tc:pa%40ss@h1:5432,[::1]:5433/db'],
    ]) {
      expect(url(u!)().database.postgresql.url).toBe(normalised);
    }
  });

  it('a bad port among several servers is named, without quoting the URL', () => {
    expect(() => url('postgresql://tc:s3cret@h1:5432,h2:54x2/db')()).toThrow(/port must be a number from 1 to 65535/);
    expect(() => url('postgresql://tc:s3cret@h1:5432,h2:54x2/db')()).not.toThrow(/s3cret/);
  });
});
