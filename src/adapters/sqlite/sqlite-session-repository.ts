import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../domain/errors.js';
import { columnName, type FieldKinds } from '../../domain/fields.js';
import {
  headlessInput,
  listedStatuses,
  newSession,
  sessionFields,
  sessionUpdate,
  type Session,
  type SessionCreateInput,
  type SessionListFilter,
  type SessionLookupField,
  type SessionPatch,
} from '../../domain/session.js';
import type { Clock } from '../../ports/clock.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(sessionFields);
const ALL = codec.columnList;
const INSERT = `INSERT INTO sessions (${ALL}) VALUES (${codec.placeholders}) RETURNING ${ALL}`;
const GET = `SELECT ${ALL} FROM sessions WHERE id = ?`;
const CLOSE = `UPDATE sessions SET closed_at = COALESCE(closed_at, ?), lifecycle_status = 'closed' WHERE id = ? RETURNING ${ALL}`;
const OPEN = "closed_at IS NULL AND lifecycle_status <> 'closed'";
const BY_METADATA = (open: string) => `SELECT ${ALL} FROM sessions
  WHERE json_type(adapter_metadata, ?) IN ('text', 'integer', 'real')
    AND CAST(json_extract(adapter_metadata, ?) AS TEXT) = ?${open}
  ORDER BY last_activity DESC, id`;
const BY_METADATA_OPEN = BY_METADATA(` AND ${OPEN}`);
const BY_METADATA_ALL = BY_METADATA('');
// substr instead of LIKE: LIKE is case-insensitive in SQLite and treats % and _ as wildcards.
const BY_TITLE_PREFIX = `SELECT ${ALL} FROM sessions
  WHERE substr(title, 1, length(?)) = ? AND lifecycle_status <> 'headless' AND ${OPEN}
  ORDER BY created_at DESC, id`;
const LIST_FILTERS = ['computerName', 'lastInputOrigin', 'initiatorSessionId', 'ownerPerson'] as const;

/*
 * Statements whose text depends on the call's shape (which fields an update sets, which
 * filters a list has) are made once per shape, so a call builds no SQL.
 */
const updates = new Map<number, string>();
const lists = new Map<number, string>();
const lookups = new Map<string, string>();

const fieldCodecs = new Map<keyof Session, { codec: SqliteCodec<Partial<Session>>; sql: string }>();

/** A codec of one session field and its SELECT, made once per field. */
function fieldCodec(field: keyof Session): { codec: SqliteCodec<Partial<Session>>; sql: string } {
  let one = fieldCodecs.get(field);
  if (!one) {
    const codec = new SqliteCodec({ [field]: sessionFields[field] } as FieldKinds<Partial<Session>>);
    one = { codec, sql: `SELECT ${codec.columnList} FROM sessions WHERE id = ?` };
    fieldCodecs.set(field, one);
  }
  return one;
}

export class SqliteSessionRepository implements SessionRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  create(input: SessionCreateInput): Promise<Session> {
    return this.insert(input as Parameters<typeof newSession>[0]);
  }

  createHeadless(input: SessionCreateInput): Promise<Session> {
    return this.insert(headlessInput(input as Parameters<typeof newSession>[0]));
  }

  private insert(input: Parameters<typeof newSession>[0]): Promise<Session> {
    const params = codec.toParams(newSession(input, input.id ?? randomUUID(), this.clock.now()));
    return this.db.run(() => codec.fromArray(this.db.prepareRaw(INSERT).get(params) as unknown[]));
  }

  get(id: string): Promise<Session | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(id) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  getField<F extends keyof Session>(id: string, field: F): Promise<Session[F] | null> {
    const one = fieldCodec(field);
    return this.db.run(() => {
      const row = this.db.prepareRaw(one.sql).get(id) as unknown[] | undefined;
      return row === undefined ? null : (one.codec.fromArray(row) as Session)[field];
    });
  }

  findOneBy(field: SessionLookupField, value: string, options: { includeInitializing?: boolean } = {}): Promise<Session | null> {
    const key = options.includeInitializing ? `${field}+` : field;
    let sql = lookups.get(key);
    if (sql === undefined) {
      const statuses = options.includeInitializing ? '' : " AND lifecycle_status = 'active'";
      sql = `SELECT ${ALL} FROM sessions WHERE ${columnName(field)} = ? AND ${OPEN}${statuses}
        ORDER BY created_at DESC, id DESC LIMIT 1`;
      lookups.set(key, sql);
    }
    const statement = sql;
    return this.db.run(() => {
      const row = this.db.prepareRaw(statement).get(value) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  list(filter: SessionListFilter = {}): Promise<Session[]> {
    const params: unknown[] = [];
    let shape = 0;
    for (let i = 0; i < LIST_FILTERS.length; i++) {
      const value = filter[LIST_FILTERS[i]!];
      if (value !== undefined) {
        params.push(value);
        shape |= 1 << i;
      }
    }
    const statuses = listedStatuses(filter);
    for (const status of statuses) params.push(status);
    shape |= (statuses.length << LIST_FILTERS.length) | (filter.includeClosed ? 1 << 8 : 0);
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      shape |= 1 << 9;
    }
    let sql = lists.get(shape);
    if (sql === undefined) {
      const where = LIST_FILTERS.filter((key) => filter[key] !== undefined).map((key) => `${columnName(key)} = ?`);
      where.push(`lifecycle_status IN (${statuses.map(() => '?').join(', ')})`);
      if (!filter.includeClosed) where.push('closed_at IS NULL');
      sql = `SELECT ${ALL} FROM sessions WHERE ${where.join(' AND ')} ORDER BY last_activity DESC, id${filter.limit === undefined ? '' : ' LIMIT ?'}`;
      lists.set(shape, sql);
    }
    const statement = sql;
    return this.db.run(() => mapRows(this.db.prepareRaw(statement).all(params) as unknown[][]));
  }

  update(id: string, patch: SessionPatch): Promise<Session> {
    const { columns, params, shape } = codec.toRow(sessionUpdate(patch as Parameters<typeof sessionUpdate>[0], this.clock.now()));
    let sql = updates.get(shape);
    if (sql === undefined) {
      sql = `UPDATE sessions SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING ${ALL}`;
      updates.set(shape, sql);
    }
    params.push(id);
    const statement = sql;
    return this.db.run(() => {
      const row = this.db.prepareRaw(statement).get(params) as unknown[] | undefined;
      if (row === undefined) throw new NotFoundError('session', id);
      return codec.fromArray(row);
    });
  }

  touch(id: string): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      if (this.db.prepare('UPDATE sessions SET last_activity = ? WHERE id = ?').run(now, id).changes === 0) {
        throw new NotFoundError('session', id);
      }
    });
  }

  close(id: string): Promise<Session> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const row = this.db.prepareRaw(CLOSE).get(now, id) as unknown[] | undefined;
      if (row === undefined) throw new NotFoundError('session', id);
      return codec.fromArray(row);
    });
  }

  delete(id: string): Promise<void> {
    return this.db.run(() => {
      if (this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes === 0) throw new NotFoundError('session', id);
    });
  }

  count(filter: { computerName?: string } = {}): Promise<number> {
    return this.db.run(() => {
      const row =
        filter.computerName === undefined
          ? this.db.prepare('SELECT count(*) AS n FROM sessions').get()
          : this.db.prepare('SELECT count(*) AS n FROM sessions WHERE computer_name = ?').get(filter.computerName);
      return (row as { n: number }).n;
    });
  }

  findByAdapterMetadata(
    adapter: string,
    key: string,
    value: string | number,
    options: { includeClosed?: boolean } = {},
  ): Promise<Session[]> {
    // A JSON path with quoted labels, so adapter and key may hold any character.
    const path = `$.${JSON.stringify(adapter)}.${JSON.stringify(key)}`;
    const sql = options.includeClosed ? BY_METADATA_ALL : BY_METADATA_OPEN;
    return this.db.run(() => mapRows(this.db.prepareRaw(sql).all(path, path, String(value)) as unknown[][]));
  }

  findByTitlePrefix(prefix: string): Promise<Session[]> {
    return this.db.run(() => mapRows(this.db.prepareRaw(BY_TITLE_PREFIX).all(prefix, prefix) as unknown[][]));
  }

  backfillOwner(person: string, uid: number): Promise<number> {
    return this.db.run(
      () =>
        this.db.prepare('UPDATE sessions SET owner_person = ?, owner_uid = ? WHERE owner_person IS NULL AND owner_uid IS NULL').run(person, uid)
          .changes,
    );
  }
}

function mapRows(rows: unknown[][]): Session[] {
  const sessions = new Array<Session>(rows.length);
  for (let i = 0; i < rows.length; i++) sessions[i] = codec.fromArray(rows[i]!);
  return sessions;
}
