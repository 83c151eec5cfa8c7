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
import { decodeValue, ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(sessionFields);
const ALL = codec.columnList;
const READ_BACK = `SELECT ${ALL} FROM sessions WHERE id = ?`;
const OPEN = "closed_at IS NULL AND lifecycle_status <> 'closed'";

/** The text form of a JSON scalar as PostgreSQL's `->>` gives it for a string or a number; null for anything else. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

export class MariadbSessionRepository implements SessionRepository {
  constructor(
    private readonly db: MariadbExecutor,
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
    const { columns, params } = codec.toRow(session);
    const rows = await this.db.queryArrays(
      `INSERT INTO sessions (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)}) RETURNING ${ALL}`,
      params,
    );
    return codec.fromArray(rows[0]!);
  }

  async get(id: string): Promise<Session | null> {
    const rows = await this.db.queryArrays(READ_BACK, [id]);
    return rows[0] ? codec.fromArray(rows[0]) : null;
  }

  async getField<F extends keyof Session>(id: string, field: F): Promise<Session[F] | null> {
    // The field name was checked against the session's fields.
    const { rows } = await this.db.query<{ value: unknown }>(`SELECT ${ident(columnName(field))} AS value FROM sessions WHERE id = ?`, [id]);
    return rows[0] ? (decodeValue(sessionFields[field], rows[0].value) as Session[F]) : null;
  }

  async findOneBy(field: SessionLookupField, value: string, options: { includeInitializing?: boolean } = {}): Promise<Session | null> {
    const statuses = options.includeInitializing ? '' : " AND lifecycle_status = 'active'";
    const rows = await this.db.queryArrays(
      `SELECT ${ALL} FROM sessions WHERE ${ident(columnName(field))} = ? AND ${OPEN}${statuses}
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
        where.push(`${ident(columnName(key))} = ?`);
      }
    }
    params.push(listedStatuses(filter));
    where.push('lifecycle_status IN (?)');
    if (!filter.includeClosed) where.push('closed_at IS NULL');
    if (filter.limit !== undefined) params.push(filter.limit);
    const limit = filter.limit === undefined ? '' : ' LIMIT ?';
    const rows = await this.db.queryArrays(`SELECT ${ALL} FROM sessions WHERE ${where.join(' AND ')} ORDER BY last_activity DESC, id${limit}`, params);
    return rows.map((row) => codec.fromArray(row));
  }

  async update(id: string, patch: SessionPatch): Promise<Session> {
    const { columns, params } = codec.toRow(sessionUpdate(patch as Parameters<typeof sessionUpdate>[0], this.clock.now()));
    const sets = columns.map((c) => `${ident(c)} = ?`).join(', ');
    // No RETURNING on UPDATE: the row is read back in the same transaction, under the
    // UPDATE's row lock. Both statements are queued at once behind BEGIN: mysql2 sends each
    // as soon as the previous one's answer is in (it does not pipeline), without a trip
    // back through this code in between.
    return this.db.atomic(async (tx) => {
      const [{ rowCount }, rows] = await Promise.all([tx.query(`UPDATE sessions SET ${sets} WHERE id = ?`, [...params, id]), tx.queryArrays(READ_BACK, [id])]);
      if (rowCount === 0 || !rows[0]) throw new NotFoundError('session', id);
      return codec.fromArray(rows[0]);
    });
  }

  async touch(id: string): Promise<void> {
    const { rowCount } = await this.db.query('UPDATE sessions SET last_activity = ? WHERE id = ?', [this.clock.now().getTime(), id]);
    if (rowCount === 0) throw new NotFoundError('session', id);
  }

  async close(id: string): Promise<Session> {
    const now = this.clock.now().getTime();
    return this.db.atomic(async (tx) => {
      const [{ rowCount }, rows] = await Promise.all([
        tx.query("UPDATE sessions SET closed_at = COALESCE(closed_at, ?), lifecycle_status = 'closed' WHERE id = ?", [now, id]),
        tx.queryArrays(READ_BACK, [id]),
      ]);
      if (rowCount === 0 || !rows[0]) throw new NotFoundError('session', id);
      return codec.fromArray(rows[0]);
    });
  }

  async delete(id: string): Promise<void> {
    const { rowCount } = await this.db.query('DELETE FROM sessions WHERE id = ?', [id]);
    if (rowCount === 0) throw new NotFoundError('session', id);
  }

  async count(filter: { computerName?: string } = {}): Promise<number> {
    const { rows } =
      filter.computerName === undefined
        ? await this.db.query<{ n: number }>('SELECT count(*) AS n FROM sessions')
        : await this.db.query<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE computer_name = ?', [filter.computerName]);
    return Number(rows[0]!.n);
  }

  async findByAdapterMetadata(
    adapter: string,
    key: string,
    value: string | number,
    options: { includeClosed?: boolean } = {},
  ): Promise<Session[]> {
    // Matched in JavaScript: MariaDB's JSON functions give up on documents nested deeper
    // than 32 levels, which the package stores. A string and a number match by their text
    // (42 and '42' alike), as on the other engines.
    const open = options.includeClosed ? '' : ` WHERE ${OPEN}`;
    const { rows } = await this.db.query<{ id: string; adapter_metadata: string }>(`SELECT id, adapter_metadata FROM sessions${open}`);
    const wanted = String(value);
    const ids = rows
      .filter((row) => {
        const metadata = JSON.parse(row.adapter_metadata) as unknown;
        if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || !Object.hasOwn(metadata, adapter)) return false;
        const section = (metadata as Record<string, unknown>)[adapter];
        if (typeof section !== 'object' || section === null || Array.isArray(section) || !Object.hasOwn(section, key)) return false;
        return scalarText((section as Record<string, unknown>)[key]) === wanted;
      })
      .map((row) => row.id);
    if (ids.length === 0) return [];
    const found = await this.db.queryArrays(`SELECT ${ALL} FROM sessions WHERE id IN (?)${open ? ` AND ${OPEN}` : ''} ORDER BY last_activity DESC, id`, [ids]);
    return found.map((row) => codec.fromArray(row));
  }

  async findByTitlePrefix(prefix: string): Promise<Session[]> {
    // LEFT instead of LIKE: % and _ in the prefix are not wildcards.
    const rows = await this.db.queryArrays(
      `SELECT ${ALL} FROM sessions
       WHERE LEFT(title, CHAR_LENGTH(?)) = ? AND lifecycle_status <> 'headless' AND ${OPEN}
       ORDER BY created_at DESC, id`,
      [prefix, prefix],
    );
    return rows.map((row) => codec.fromArray(row));
  }

  async backfillOwner(person: string, uid: number): Promise<number> {
    const { rowCount } = await this.db.query('UPDATE sessions SET owner_person = ?, owner_uid = ? WHERE owner_person IS NULL AND owner_uid IS NULL', [
      person,
      uid,
    ]);
    return rowCount;
  }
}
