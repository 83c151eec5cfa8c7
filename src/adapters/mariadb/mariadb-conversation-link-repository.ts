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
import { ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const links = new MariadbCodec(conversationLinkFields);
const members = new MariadbCodec(linkMemberFields);
const L = links.columnList;
const M = members.columnList;
const NEWEST = 'ORDER BY l.created_at DESC, l.link_id';
/** Closes the links `WHERE link_id <link>`; the first parameter is the instant. */
const close = (link: string) => `UPDATE conversation_links SET status = 'closed', closed_at = COALESCE(closed_at, ?), updated_at = ? WHERE link_id ${link}`;

type LinkInput = Parameters<typeof newLink>[0];
type MemberValue = Parameters<typeof newMember>[1];

export class MariadbConversationLinkRepository implements ConversationLinkRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async create(link: LinkCreateInput, input: MemberInput[]): Promise<ConversationLink> {
    const now = this.clock.now();
    const row = newLink(link as LinkInput, (link as LinkInput).linkId ?? randomUUID(), now);
    const memberRows = (input as MemberValue[]).map((m) => members.toRow(newMember(row.linkId, m, now)));
    const { columns, params } = links.toRow(row);
    // One transaction, so the link and its members commit together even outside a store transaction.
    return this.db.atomic(async (tx) => {
      const { rows } = await tx.query(`INSERT INTO conversation_links (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)}) RETURNING ${L}`, params);
      if (memberRows.length > 0) {
        await tx.query(
          `INSERT INTO conversation_link_members (${memberRows[0]!.columns.map(ident).join(', ')}) VALUES ${memberRows.map((m) => `(${placeholders(m.params.length)})`).join(', ')}`,
          memberRows.flatMap((m) => m.params),
        );
      }
      return links.fromRow(rows[0]!);
    });
  }

  async get(linkId: string): Promise<ConversationLink | null> {
    const { rows } = await this.db.query(`SELECT ${L} FROM conversation_links WHERE link_id = ?`, [linkId]);
    return rows[0] ? links.fromRow(rows[0]) : null;
  }

  async members(linkId: string): Promise<LinkMember[]> {
    const { rows } = await this.db.query(
      `SELECT ${M} FROM conversation_link_members WHERE link_id = ?
       ORDER BY participant_number IS NULL, participant_number, joined_at, session_id`,
      [linkId],
    );
    return rows.map((row) => members.fromRow(row));
  }

  activeLinksForSession(sessionId: string): Promise<ConversationLink[]> {
    return this.selectLinks(`JOIN conversation_link_members m ON m.link_id = l.link_id WHERE m.session_id = ? AND l.status = 'active'`, [sessionId]);
  }

  linksBetween(sessionA: string, sessionB: string, mode?: LinkMode): Promise<ConversationLink[]> {
    return this.selectLinks(
      `WHERE l.status = 'active' ${mode === undefined ? '' : 'AND l.mode = ?'}
         AND EXISTS (SELECT 1 FROM conversation_link_members a WHERE a.link_id = l.link_id AND a.session_id = ?)
         AND EXISTS (SELECT 1 FROM conversation_link_members b WHERE b.link_id = l.link_id AND b.session_id = ?)`,
      [...(mode === undefined ? [] : [mode]), sessionA, sessionB],
    );
  }

  async upsertMember(linkId: string, member: MemberInput): Promise<LinkMember> {
    const { columns, params } = members.toRow(newMember(linkId, member as MemberValue, this.clock.now()));
    const { rows } = await this.db.query(
      `INSERT INTO conversation_link_members (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)})
       ON DUPLICATE KEY UPDATE participant_name = VALUES(participant_name), participant_number = VALUES(participant_number),
         participant_role = VALUES(participant_role), computer_name = VALUES(computer_name)
       RETURNING ${M}`,
      params,
    );
    return members.fromRow(rows[0]!);
  }

  async removeMember(linkId: string, sessionId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM conversation_link_members WHERE link_id = ? AND session_id = ?', [linkId, sessionId]);
    return rowCount > 0;
  }

  async setStatus(linkId: string, status: LinkStatus): Promise<ConversationLink> {
    const now = this.clock.now().getTime();
    return this.db.atomic(async (tx) => {
      const { rowCount } =
        status === 'closed'
          ? await tx.query(close('= ?'), [now, now, linkId])
          : await tx.query("UPDATE conversation_links SET status = 'active', closed_at = NULL, updated_at = ? WHERE link_id = ?", [now, linkId]);
      if (rowCount === 0) throw new NotFoundError('conversation link', linkId);
      return this.readBack(tx, linkId);
    });
  }

  async sever(linkId: string): Promise<ConversationLink> {
    const now = this.clock.now().getTime();
    return this.db.atomic(async (tx) => {
      const { rowCount } = await tx.query(close('= ?'), [now, now, linkId]);
      if (rowCount === 0) throw new NotFoundError('conversation link', linkId);
      await tx.query('DELETE FROM conversation_link_members WHERE link_id = ?', [linkId]);
      return this.readBack(tx, linkId);
    });
  }

  async cleanupForSession(sessionId: string): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.atomic(async (tx) => {
      // The links the session was in, locked so that who is left is counted on rows that stay as read.
      const { rows: linked } = await tx.query<{ link_id: string }>(
        'SELECT link_id FROM conversation_link_members WHERE session_id = ? ORDER BY link_id FOR UPDATE',
        [sessionId],
      );
      if (linked.length === 0) return 0;
      const { rowCount: gone } = await tx.query('DELETE FROM conversation_link_members WHERE session_id = ?', [sessionId]);
      const ids = linked.map((r) => r.link_id);
      // An active link left with fewer than two members is closed and emptied.
      const { rows: orphaned } = await tx.query<{ link_id: string }>(
        `SELECT l.link_id FROM conversation_links l
         WHERE l.link_id IN (?) AND l.status = 'active'
           AND (SELECT count(*) FROM conversation_link_members m WHERE m.link_id = l.link_id) < 2
         FOR UPDATE`,
        [ids],
      );
      if (orphaned.length > 0) {
        const orphanIds = orphaned.map((r) => r.link_id);
        await tx.query(close('IN (?)'), [now, now, orphanIds]);
        await tx.query('DELETE FROM conversation_link_members WHERE link_id IN (?)', [orphanIds]);
      }
      return gone;
    });
  }

  private async readBack(tx: MariadbExecutor, linkId: string): Promise<ConversationLink> {
    const { rows } = await tx.query(`SELECT ${L} FROM conversation_links WHERE link_id = ?`, [linkId]);
    return links.fromRow(rows[0]!);
  }

  private async selectLinks(rest: string, params: unknown[]): Promise<ConversationLink[]> {
    const { rows } = await this.db.query(`SELECT ${links.qualified('l')} FROM conversation_links l ${rest} ${NEWEST}`, params);
    return rows.map((row) => links.fromRow(row));
  }
}
