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
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const links = new SqliteCodec(conversationLinkFields);
const members = new SqliteCodec(linkMemberFields);
const LINK_COLUMNS = links.columnList
  .split(', ')
  .map((c) => `l.${c}`)
  .join(', ');
const INSERT_LINK = `INSERT INTO conversation_links (${links.columnList}) VALUES (${links.placeholders}) RETURNING ${links.columnList}`;
const INSERT_MEMBER = `INSERT INTO conversation_link_members (${members.columnList}) VALUES (${members.placeholders})`;
const UPSERT_MEMBER = `${INSERT_MEMBER} ON CONFLICT (link_id, session_id) DO UPDATE SET participant_name = excluded.participant_name,
    participant_number = excluded.participant_number, participant_role = excluded.participant_role,
    computer_name = excluded.computer_name
  RETURNING ${members.columnList}`;
const CLOSE = `UPDATE conversation_links SET status = 'closed', closed_at = COALESCE(closed_at, ?), updated_at = ?
  WHERE link_id = ? RETURNING ${links.columnList}`;
const REOPEN = `UPDATE conversation_links SET status = 'active', closed_at = NULL, updated_at = ? WHERE link_id = ? RETURNING ${links.columnList}`;
const GET = `SELECT ${links.columnList} FROM conversation_links WHERE link_id = ?`;
const MEMBERS = `SELECT ${members.columnList} FROM conversation_link_members WHERE link_id = ?
  ORDER BY participant_number NULLS LAST, joined_at, session_id`;
const selectLinks = (rest: string) => `SELECT ${LINK_COLUMNS} FROM conversation_links l ${rest} ORDER BY l.created_at DESC, l.link_id`;
const ACTIVE_FOR_SESSION = selectLinks(
  "JOIN conversation_link_members m ON m.link_id = l.link_id WHERE m.session_id = ? AND l.status = 'active'",
);
const BETWEEN = `WHERE l.status = 'active'
  AND EXISTS (SELECT 1 FROM conversation_link_members a WHERE a.link_id = l.link_id AND a.session_id = ?)
  AND EXISTS (SELECT 1 FROM conversation_link_members b WHERE b.link_id = l.link_id AND b.session_id = ?)`;
const LINKS_BETWEEN = selectLinks(BETWEEN);
const LINKS_BETWEEN_OF_MODE = selectLinks(`${BETWEEN} AND l.mode = ?`);

type LinkInput = Parameters<typeof newLink>[0];
type MemberValue = Parameters<typeof newMember>[1];

export class SqliteConversationLinkRepository implements ConversationLinkRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  create(link: LinkCreateInput, input: MemberInput[]): Promise<ConversationLink> {
    const now = this.clock.now();
    const row = newLink(link as LinkInput, (link as LinkInput).linkId ?? randomUUID(), now);
    return this.db.immediate(() => {
      const created = links.fromArray(this.db.prepareRaw(INSERT_LINK).get(links.toParams(row)) as unknown[]);
      const insert = this.db.prepare(INSERT_MEMBER);
      for (const m of input as MemberValue[]) insert.run(members.toParams(newMember(row.linkId, m, now)));
      return created;
    });
  }

  get(linkId: string): Promise<ConversationLink | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(linkId) as unknown[] | undefined;
      return row === undefined ? null : links.fromArray(row);
    });
  }

  members(linkId: string): Promise<LinkMember[]> {
    return this.db.run(() =>
      (this.db.prepareRaw(MEMBERS).all(linkId) as unknown[][]).map((row) => members.fromArray(row)),
    );
  }

  activeLinksForSession(sessionId: string): Promise<ConversationLink[]> {
    return this.selectLinks(ACTIVE_FOR_SESSION, [sessionId]);
  }

  linksBetween(sessionA: string, sessionB: string, mode?: LinkMode): Promise<ConversationLink[]> {
    return mode === undefined
      ? this.selectLinks(LINKS_BETWEEN, [sessionA, sessionB])
      : this.selectLinks(LINKS_BETWEEN_OF_MODE, [sessionA, sessionB, mode]);
  }

  upsertMember(linkId: string, member: MemberInput): Promise<LinkMember> {
    const row = newMember(linkId, member as MemberValue, this.clock.now());
    const params = members.toParams(row);
    return this.db.run(() => members.fromArray(this.db.prepareRaw(UPSERT_MEMBER).get(params) as unknown[]));
  }

  removeMember(linkId: string, sessionId: string): Promise<boolean> {
    return this.db.run(
      () => this.db.prepare('DELETE FROM conversation_link_members WHERE link_id = ? AND session_id = ?').run(linkId, sessionId).changes > 0,
    );
  }

  setStatus(linkId: string, status: LinkStatus): Promise<ConversationLink> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const row = (status === 'closed' ? this.db.prepareRaw(CLOSE).get(now, now, linkId) : this.db.prepareRaw(REOPEN).get(now, linkId)) as
        | unknown[]
        | undefined;
      if (row === undefined) throw new NotFoundError('conversation link', linkId);
      return links.fromArray(row);
    });
  }

  sever(linkId: string): Promise<ConversationLink> {
    const now = this.clock.now().getTime();
    return this.db.immediate(() => {
      const row = this.db.prepareRaw(CLOSE).get(now, now, linkId) as unknown[] | undefined;
      if (row === undefined) throw new NotFoundError('conversation link', linkId);
      this.db.prepare('DELETE FROM conversation_link_members WHERE link_id = ?').run(linkId);
      return links.fromArray(row);
    });
  }

  cleanupForSession(sessionId: string): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.immediate(() => {
        const affected = (
          this.db.prepare('DELETE FROM conversation_link_members WHERE session_id = ? RETURNING link_id').all(sessionId) as {
            link_id: string;
          }[]
        ).map((r) => r.link_id);
        const orphaned = this.db.prepare(
          `SELECT link_id FROM conversation_links l WHERE link_id = ? AND status = 'active'
             AND (SELECT count(*) FROM conversation_link_members m WHERE m.link_id = l.link_id) < 2`,
        );
        for (const linkId of affected) {
          if (!orphaned.get(linkId)) continue;
          this.db.prepareRaw(CLOSE).get(now, now, linkId);
          this.db.prepare('DELETE FROM conversation_link_members WHERE link_id = ?').run(linkId);
        }
        return affected.length;
    });
  }

  private selectLinks(sql: string, params: unknown[]): Promise<ConversationLink[]> {
    return this.db.run(() => (this.db.prepareRaw(sql).all(params) as unknown[][]).map((row) => links.fromArray(row)));
  }
}
