import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../domain/errors.js';
import { columnName } from '../../domain/fields.js';
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
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(sessionFields);
const ALL = codec.columnList;
const INSERT = `INSERT INTO sessions (${ALL}) VALUES (${ALL.split(', ').map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${ALL}`;
const OPEN = "closed_at IS NULL AND lifecycle_status <> 'closed'";

export class PostgresSessionRepository implements SessionRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  create(input: SessionCreateInput): Promise<Session> {
    return this.insert(input as Parameters<typeof newSession>[0]);
  }

  createHeadless(input: SessionCreateInput): Promise<Session> {
    return this.insert(headlessInput(input as Parameters<typeof newSession>[0]));
  }

  private async insert(input: Parameters<typeof newSession>[0]): Promise<Session> {
    const session = newSession(input, input.id ?? randomUUID(), this.clock.now());
    const rows = await this.db.queryArrays(INSERT, codec.toRow(session).params);
    return codec.fromArray(rows[0]!);
  }

  async get(id: string): Promise<Session | null> {
    const rows = await this.db.queryArrays(`SELECT ${ALL} FROM sessions WHERE id = $1`, [id]);
    return rows[0] ? codec.fromArray(rows[0]) : null;
  }

  async getField<F extends keyof Session>(id: string, field: F): Promise<Session[F] | null> {
    // The field name was checked against the session's fields; the pool decodes the value.
    const { rows } = await this.db.query<{ value: Session[F] }>(`SELECT ${columnName(field)} AS value FROM sessions WHERE id = $1`, [id]);
    return rows[0] ? rows[0].value : null;
  }

  async findOneBy(field: SessionLookupField, value: string, options: { includeInitializing?: boolean } = {}): Promise<Session | null> {
    const statuses = options.includeInitializing ? '' : " AND lifecycle_status = 'active'";
    const rows = await this.db.queryArrays(
      `SELECT ${ALL} FROM sessions WHERE ${columnName(field)} = $1 AND ${OPEN}${statuses}
       ORDER BY created_at DESC, id DESC LIMIT 1`,
      [value],
    );
    return rows[0] ? codec.fromArray(rows[0]) : null;
  }

  async list(filter: SessionListFilter = {}): Promise<Session[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ['computerName', 'lastInputOrigin', 'initiatorSessionId', 'ownerPerson'] as const) {
      if (filter[key] !== undefined) {
        params.push(filter[key]);
        where.push(`${columnName(key)} = $${params.length}`);
      }
    }
    params.push(listedStatuses(filter));
    where.push(`lifecycle_status = ANY($${params.length}::text[])`);
    if (!filter.includeClosed) where.push('closed_at IS NULL');
    let limit = '';
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      limit = ` LIMIT $${params.length}`;
    }
    const rows = await this.db.queryArrays(`SELECT ${ALL} FROM sessions WHERE ${where.join(' AND ')} ORDER BY last_activity DESC, id${limit}`, params);
    return rows.map((row) => codec.fromArray(row));
  }

  async update(id: string, patch: SessionPatch): Promise<Session> {
    const { columns, params } = codec.toRow(sessionUpdate(patch as Parameters<typeof sessionUpdate>[0], this.clock.now()));
    const sets = columns.map((c, i) => `${c} = $${i + 1}`).join(', ');
    const rows = await this.db.queryArrays(`UPDATE sessions SET ${sets} WHERE id = $${columns.length + 1} RETURNING ${ALL}`, [
      ...params,
      id,
    ]);
    if (!rows[0]) throw new NotFoundError('session', id);
    return codec.fromArray(rows[0]);
  }

  async touch(id: string): Promise<void> {
    const { rowCount } = await this.db.query('UPDATE sessions SET last_activity = $1 WHERE id = $2', [this.clock.now(), id]);
    if (!rowCount) throw new NotFoundError('session', id);
  }

  async close(id: string): Promise<Session> {
    const rows = await this.db.queryArrays(
      `UPDATE sessions SET closed_at = COALESCE(closed_at, $1), lifecycle_status = 'closed' WHERE id = $2 RETURNING ${ALL}`,
      [this.clock.now(), id],
    );
    if (!rows[0]) throw new NotFoundError('session', id);
    return codec.fromArray(rows[0]);
  }

  async delete(id: string): Promise<void> {
    const { rowCount } = await this.db.query('DELETE FROM sessions WHERE id = $1', [id]);
    if (!rowCount) throw new NotFoundError('session', id);
  }

  async count(filter: { computerName?: string } = {}): Promise<number> {
    const { rows } =
      filter.computerName === undefined
        ? await this.db.query<{ n: number }>('SELECT count(*) AS n FROM sessions')
        : await this.db.query<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE computer_name = $1', [
            filter.computerName,
          ]);
    return rows[0]!.n;
  }

  async findByAdapterMetadata(
    adapter: string,
    key: string,
    value: string | number,
    options: { includeClosed?: boolean } = {},
  ): Promise<Session[]> {
    // ->> yields the text form of a JSON number, so 42 and '42' match alike.
    const open = options.includeClosed ? '' : ` AND ${OPEN}`;
    const rows = await this.db.queryArrays(
      `SELECT ${ALL} FROM sessions
       WHERE jsonb_typeof(adapter_metadata -> $1 -> $2) IN ('string', 'number')
         AND adapter_metadata -> $1 ->> $2 = $3${open}
       ORDER BY last_activity DESC, id`,
      [adapter, key, String(value)],
    );
    return rows.map((row) => codec.fromArray(row));
  }

  async findByTitlePrefix(prefix: string): Promise<Session[]> {
    const rows = await this.db.queryArrays(
      `SELECT ${ALL} FROM sessions
       WHERE starts_with(title, $1) AND lifecycle_status <> 'headless' AND ${OPEN}
       ORDER BY created_at DESC, id`,
      [prefix],
    );
    return rows.map((row) => codec.fromArray(row));
  }

  async backfillOwner(person: string, uid: number): Promise<number> {
    const { rowCount } = await this.db.query(
      'UPDATE sessions SET owner_person = $1, owner_uid = $2 WHERE owner_person IS NULL AND owner_uid IS NULL',
      [person, uid],
    );
    return rowCount ?? 0;
  }
}
