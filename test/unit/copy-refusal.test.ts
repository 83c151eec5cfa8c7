import { describe, expect, it } from 'vitest';
import { postgresRefusal } from '../../src/adapters/postgres/postgres-bulk-loader.js';
import { sqliteRefusal } from '../../src/adapters/sqlite/sqlite-bulk-loader.js';
import { ValidationError } from '../../src/domain/errors.js';

/** Errors as the drivers raise them (code, message and the fields PostgreSQL sends). */
const pgError = (fields: Record<string, string>) => Object.assign(new Error(fields.message ?? 'error'), fields);
const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('which load errors refuse one row, and which stop a copy', () => {
  const columns = ['id', 'computer_name', 'title', 'message_count'];

  it('PostgreSQL: data and integrity errors refuse the row, naming the column where the server does', () => {
    expect(postgresRefusal(pgError({ code: '23502', message: 'null value in column "title"', column: 'title' }), 'sessions', columns)).toMatchObject({ column: 'title' });
    expect(postgresRefusal(pgError({ code: '23514', message: 'violates check', constraint: 'sessions_computer_name_check' }), 'sessions', columns)).toMatchObject({ column: 'computer_name' });
    expect(postgresRefusal(pgError({ code: '23505', message: 'duplicate key', detail: 'Key (id)=(s1) already exists.' }), 'sessions', columns)).toMatchObject({
      column: 'id',
      reason: 'duplicate key (Key (id)=(s1) already exists.)',
    });
    expect(postgresRefusal(pgError({ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00', where: 'COPY sessions, line 1, column title' }), 'sessions', columns)).toMatchObject({ column: 'title' });
    expect(postgresRefusal(new ValidationError('sessions.message_count', 'out of range: 3000000000'), 'sessions', columns)).toMatchObject({ column: 'message_count' });
  });

  it('PostgreSQL: a lost connection, a full disk, a shutdown or a timeout is not about a row', () => {
    for (const code of ['08006', '08003', '53100', '53200', '57P01', '57014', '40001', '42P01']) {
      expect(postgresRefusal(pgError({ code, message: code }), 'sessions', columns), code).toBeNull();
    }
    expect(postgresRefusal(new Error('Connection terminated unexpectedly'), 'sessions', columns)).toBeNull();
  });

  it('SQLite: constraint and type errors refuse the row; I/O, a full disk, a lock or a missing table do not', () => {
    expect(sqliteRefusal(sqliteError('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: sessions.title'), columns)).toMatchObject({ column: 'title' });
    expect(sqliteRefusal(sqliteError('SQLITE_CONSTRAINT_CHECK', "CHECK constraint failed: computer_name <> ''"), columns)).toMatchObject({ column: 'computer_name' });
    expect(sqliteRefusal(sqliteError('SQLITE_CONSTRAINT_PRIMARYKEY', 'UNIQUE constraint failed: sessions.id'), columns)).toMatchObject({ column: 'id' });
    expect(sqliteRefusal(new RangeError('The value is too big'), columns)).not.toBeNull();
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY', 'SQLITE_READONLY', 'SQLITE_ERROR', 'SQLITE_CORRUPT']) {
      expect(sqliteRefusal(sqliteError(code, code), columns), code).toBeNull();
    }
  });
});
