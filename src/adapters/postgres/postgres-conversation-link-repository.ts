import { randomUUID } from 'node:crypto';
import {
  conversationLinkFields,
  linkMemberFields,
  newLink,
  newMember,
  type ConversationLink,
  type LinkCreateInput,
  type LinkMember,
  type LinkMode,
  type LinkStatus,
  type MemberInput,
} from '../../domain/conversation-link.js';
import { NotFoundError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { ConversationLinkRepository } from '../../ports/conversation-link-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const links = new PostgresCodec(conversationLinkFields);
const members = new PostgresCodec(linkMemberFields);
const L = links.columnList;
const M = members.columnList;
const LINK_COLUMNS = L.split(', ')
  .map((c) => `l.${c}`)
  .join(', ');
const NEWEST = 'ORDER BY l.created_at DESC, l.link_id COLLATE "C"';
const close = (link: string) =>
  `UPDATE conversation_links SET status = 'closed', closed_at = COALESCE(closed_at, $2), updated_at = $2 WHERE link_id ${link}`;

type LinkInput = Parameters<typeof newLink>[0];
type MemberValue = Parameters<typeof newMember>[1];

export class PostgresConversationLinkRepository implements ConversationLinkRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async create(link: LinkCreateInput, input: MemberInput[]): Promise<ConversationLink> {
    const now = this.clock.now();
    const row = newLink(link as LinkInput, (link as LinkInput).linkId ?? randomUUID(), now);
    const rows = (input as MemberValue[]).map((m) => {
      const member = newMember(row.linkId, m, now);
      return {
        session_id: member.sessionId,
        participant_name: member.participantName,
        participant_number: member.participantNumber,
        participant_role: member.participantRole,
        computer_name: member.computerName,
      };
    });
    // One statement, so the link and its members commit together even outside a transaction.
    const { rows: created } = await this.db.query(
      `WITH link AS (INSERT INTO conversation_links (${L}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${L}),
       added AS (
         INSERT INTO conversation_link_members (${M})
         SELECT (SELECT link_id FROM link), m.session_id, m.participant_name, m.participant_number, m.participant_role,
                m.computer_name, $6
         FROM jsonb_to_recordset($9::jsonb)
           AS m(session_id text, participant_name text, participant_number integer, participant_role text, computer_name text))
       SELECT ${L} FROM link`,
      [...links.toRow(row).params, JSON.stringify(rows)],
    );
    return links.fromRow(created[0]!);
  }

  async get(linkId: string): Promise<ConversationLink | null> {
    const { rows } = await this.db.query(`SELECT ${L} FROM conversation_links WHERE link_id = $1`, [linkId]);
    return rows[0] ? links.fromRow(rows[0]) : null;
  }

  async members(linkId: string): Promise<LinkMember[]> {
    const { rows } = await this.db.query(
      `SELECT ${M} FROM conversation_link_members WHERE link_id = $1
       ORDER BY participant_number NULLS LAST, joined_at, session_id COLLATE "C"`,
      [linkId],
    );
    return rows.map((row) => members.fromRow(row));
  }

  activeLinksForSession(sessionId: string): Promise<ConversationLink[]> {
    return this.selectLinks(
      `JOIN conversation_link_members m ON m.link_id = l.link_id WHERE m.session_id = $1 AND l.status = 'active'`,
      [sessionId],
    );
  }

  linksBetween(sessionA: string, sessionB: string, mode?: LinkMode): Promise<ConversationLink[]> {
    return this.selectLinks(
      `WHERE l.status = 'active' AND ($3::text IS NULL OR l.mode = $3)
         AND EXISTS (SELECT 1 FROM conversation_link_members a WHERE a.link_id = l.link_id AND a.session_id = $1)
         AND EXISTS (SELECT 1 FROM conversation_link_members b WHERE b.link_id = l.link_id AND b.session_id = $2)`,
      [sessionA, sessionB, mode ?? null],
    );
  }

  async upsertMember(linkId: string, member: MemberInput): Promise<LinkMember> {
    const row = newMember(linkId, member as MemberValue, this.clock.now());
    const { rows } = await this.db.query(
      `INSERT INTO conversation_link_members (${M}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (link_id, session_id) DO UPDATE SET participant_name = excluded.participant_name,
         participant_number = excluded.participant_number, participant_role = excluded.participant_role,
         computer_name = excluded.computer_name
       RETURNING ${M}`,
      members.toRow(row).params,
    );
    return members.fromRow(rows[0]!);
  }

  async removeMember(linkId: string, sessionId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM conversation_link_members WHERE link_id = $1 AND session_id = $2', [
      linkId,
      sessionId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async setStatus(linkId: string, status: LinkStatus): Promise<ConversationLink> {
    const sql =
      status === 'closed'
        ? `${close('= $1')} RETURNING ${L}`
        : `UPDATE conversation_links SET status = 'active', closed_at = NULL, updated_at = $2 WHERE link_id = $1 RETURNING ${L}`;
    const { rows } = await this.db.query(sql, [linkId, this.clock.now()]);
    if (!rows[0]) throw new NotFoundError('conversation link', linkId);
    return links.fromRow(rows[0]);
  }

  async sever(linkId: string): Promise<ConversationLink> {
    const { rows } = await this.db.query(
      `WITH closed AS (${close('= $1')} RETURNING ${L}),
       gone AS (DELETE FROM conversation_link_members WHERE link_id IN (SELECT link_id FROM closed))
       SELECT ${L} FROM closed`,
      [linkId, this.clock.now()],
    );
    if (!rows[0]) throw new NotFoundError('conversation link', linkId);
    return links.fromRow(rows[0]);
  }

  async cleanupForSession(sessionId: string): Promise<number> {
    // Every part of the statement sees the rows as they were before it, hence the
    // explicit "other than this session" when counting who is left.
    const { rows } = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM conversation_link_members WHERE session_id = $1 RETURNING link_id),
       orphaned AS (
         SELECT l.link_id FROM conversation_links l
         WHERE l.link_id IN (SELECT link_id FROM gone) AND l.status = 'active'
           AND (SELECT count(*) FROM conversation_link_members m WHERE m.link_id = l.link_id AND m.session_id <> $1) < 2),
       closed AS (${close('IN (SELECT link_id FROM orphaned)')}),
       emptied AS (DELETE FROM conversation_link_members WHERE link_id IN (SELECT link_id FROM orphaned) AND session_id <> $1)
       SELECT count(*) AS n FROM gone`,
      [sessionId, this.clock.now()],
    );
    return rows[0]!.n;
  }

  private async selectLinks(rest: string, params: unknown[]): Promise<ConversationLink[]> {
    const { rows } = await this.db.query(`SELECT ${LINK_COLUMNS} FROM conversation_links l ${rest} ${NEWEST}`, params);
    return rows.map((row) => links.fromRow(row));
  }
}
