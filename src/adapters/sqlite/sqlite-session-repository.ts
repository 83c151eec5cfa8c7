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
const INSERT = `INSERT INTO sessions (${ALL}) VALUES (${ALL.split(', ').map(() => '?').join(', ')}) RETURNING ${ALL}`;
const OPEN = "closed_at IS NULL AND lifecycle_status <> 'closed'";

const fieldCodecs = new Map<keyof Session, SqliteCodec<Partial<Session>>>();

/** A codec of one session field, made once per field. */
function fieldCodec(field: keyof Session): SqliteCodec<Partial<Session>> {
  let one = fieldCodecs.get(field);
  if (!one) {
    one = new SqliteCodec({ [field]: sessionFields[field] } as FieldKinds<Partial<Session>>);
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
    const session = newSession(input, input.id ?? randomUUID(), this.clock.now());
    const { params } = codec.toRow(session);
    return this.db.run(() => codec.fromRow(this.db.prepare(INSERT).get(params) as Record<string, unknown>));
  }

  get(id: string): Promise<Session | null> {
    return this.db.run(() => {
      const row = this.db.prepare(`SELECT ${ALL} FROM sessions WHERE id = ?`).get(id);
      return row ? codec.fromRow(row as Record<string, unknown>) : null;
    });
  }

  getField<F extends keyof Session>(id: string, field: F): Promise<Session[F] | null> {
    const one = fieldCodec(field);
    return this.db.run(() => {
      const row = this.db.prepare(`SELECT ${one.columnList} FROM sessions WHERE id = ?`).get(id);
      return row ? (one.fromRow(row as Record<string, unknown>) as Session)[field] : null;
    });
  }

  findOneBy(field: SessionLookupField, value: string, options: { includeInitializing?: boolean } = {}): Promise<Session | null> {
    const statuses = options.includeInitializing ? '' : " AND lifecycle_status = 'active'";
    const sql = `SELECT ${ALL} FROM sessions WHERE ${columnName(field)} = ? AND ${OPEN}${statuses}
      ORDER BY created_at DESC, id DESC LIMIT 1`;
    return this.db.run(() => {
      const row = this.db.prepare(sql).get(value);
      return row ? codec.fromRow(row as Record<string, unknown>) : null;
    });
  }

  list(filter: SessionListFilter = {}): Promise<Session[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ['computerName', 'lastInputOrigin', 'initiatorSessionId', 'ownerPerson'] as const) {
      if (filter[key] !== undefined) {
        where.push(`${columnName(key)} = ?`);
        params.push(filter[key]);
      }
    }
    const statuses = listedStatuses(filter);
    where.push(`lifecycle_status IN (${statuses.map(() => '?').join(', ')})`);
    params.push(...statuses);
    if (!filter.includeClosed) where.push('closed_at IS NULL');
    const sql = `SELECT ${ALL} FROM sessions WHERE ${where.join(' AND ')} ORDER BY last_activity DESC, id`;
    return this.db.run(() => this.db.prepare(sql).all(params).map((row) => codec.fromRow(row as Record<string, unknown>)));
  }

  update(id: string, patch: SessionPatch): Promise<Session> {
    const { columns, params } = codec.toRow(sessionUpdate(patch as Parameters<typeof sessionUpdate>[0], this.clock.now()));
    const sql = `UPDATE sessions SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING ${ALL}`;
    return this.db.run(() => {
      const row = this.db.prepare(sql).get(...params, id);
      if (!row) throw new NotFoundError('session', id);
      return codec.fromRow(row as Record<string, unknown>);
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
      const row = this.db
        .prepare(
          `UPDATE sessions SET closed_at = COALESCE(closed_at, ?), lifecycle_status = 'closed' WHERE id = ? RETURNING ${ALL}`,
        )
        .get(now, id);
      if (!row) throw new NotFoundError('session', id);
      return codec.fromRow(row as Record<string, unknown>);
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
    const open = options.includeClosed ? '' : ` AND ${OPEN}`;
    const sql = `SELECT ${ALL} FROM sessions
      WHERE json_type(adapter_metadata, ?) IN ('text', 'integer', 'real')
        AND CAST(json_extract(adapter_metadata, ?) AS TEXT) = ?${open}
      ORDER BY last_activity DESC, id`;
    return this.db.run(() =>
      this.db
        .prepare(sql)
        .all(path, path, String(value))
        .map((row) => codec.fromRow(row as Record<string, unknown>)),
    );
  }

  findByTitlePrefix(prefix: string): Promise<Session[]> {
    // substr instead of LIKE: LIKE is case-insensitive in SQLite and treats % and _ as wildcards.
    const sql = `SELECT ${ALL} FROM sessions
      WHERE substr(title, 1, length(?)) = ? AND lifecycle_status <> 'headless' AND ${OPEN}
      ORDER BY created_at DESC, id`;
    return this.db.run(() =>
      this.db
        .prepare(sql)
        .all(prefix, prefix)
        .map((row) => codec.fromRow(row as Record<string, unknown>)),
    );
  }

  backfillOwner(person: string, uid: number): Promise<number> {
    return this.db.run(
      () =>
        this.db.prepare('UPDATE sessions SET owner_person = ?, owner_uid = ? WHERE owner_person IS NULL AND owner_uid IS NULL').run(person, uid)
          .changes,
    );
  }
}
