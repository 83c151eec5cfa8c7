import { agentAvailabilityFields, agentStatus, type AgentAvailability, type AgentStatus, type UnavailableReason } from '../../domain/agent-availability.js';
import type { AgentAvailabilityRepository } from '../../ports/agent-availability-repository.js';
import type { Clock } from '../../ports/clock.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(agentAvailabilityFields);
/** Takes the instant twice as parameters. */
const EXPIRED = '((NOT available AND unavailable_until <= ?) OR (available AND degraded_until <= ?))';
const RESET = 'available = true, unavailable_until = NULL, degraded_until = NULL, reason = NULL';

/** EXPIRED in JavaScript, for a mark just read. */
function expired(mark: AgentAvailability, ms: number): boolean {
  return mark.available ? mark.degradedUntil !== null && mark.degradedUntil.getTime() <= ms : mark.unavailableUntil !== null && mark.unavailableUntil.getTime() <= ms;
}

export class MariadbAgentAvailabilityRepository implements AgentAvailabilityRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async get(agent: string): Promise<AgentStatus> {
    const now = this.clock.now();
    const ms = now.getTime();
    // Read the row; only a mark that expired is reset, and read again, in one transaction
    // (the UPDATE's row lock holds until the read): the usual read is one statement.
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM agent_availability WHERE agent = ?`, [agent]);
    const mark = rows[0] ? codec.fromRow(rows[0]) : null;
    if (mark && !expired(mark, ms)) return agentStatus(agent, mark, now);
    if (!mark) return agentStatus(agent, null, now);
    const reset = await this.db.atomic(async (tx) => {
      await tx.query(`UPDATE agent_availability SET ${RESET} WHERE agent = ? AND ${EXPIRED}`, [agent, ms, ms]);
      return (await tx.query(`SELECT ${codec.columnList} FROM agent_availability WHERE agent = ?`, [agent])).rows;
    });
    return agentStatus(agent, reset[0] ? codec.fromRow(reset[0]) : null, now);
  }

  async list(): Promise<AgentStatus[]> {
    const now = this.clock.now();
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM agent_availability ORDER BY agent`);
    return rows.map((row) => {
      const mark = codec.fromRow(row);
      return agentStatus(mark.agent, mark, now);
    });
  }

  markUnavailable(agent: string, until: Date | null, reason: UnavailableReason): Promise<AgentStatus> {
    return this.upsert({ agent, available: false, unavailableUntil: until, degradedUntil: null, reason });
  }

  markDegraded(agent: string, until: Date | null, reason: string): Promise<AgentStatus> {
    return this.upsert({ agent, available: true, unavailableUntil: null, degradedUntil: until, reason });
  }

  markAvailable(agent: string): Promise<AgentStatus> {
    return this.upsert({ agent, available: true, unavailableUntil: null, degradedUntil: null, reason: null });
  }

  async clearExpired(): Promise<number> {
    const ms = this.clock.now().getTime();
    const { rowCount } = await this.db.query(`UPDATE agent_availability SET ${RESET} WHERE ${EXPIRED}`, [ms, ms]);
    return rowCount;
  }

  private async upsert(mark: AgentAvailability): Promise<AgentStatus> {
    const now = this.clock.now();
    const { rows } = await this.db.query(
      `INSERT INTO agent_availability (agent, available, unavailable_until, degraded_until, reason) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE available = VALUES(available), unavailable_until = VALUES(unavailable_until),
         degraded_until = VALUES(degraded_until), reason = VALUES(reason)
       RETURNING ${codec.columnList}`,
      codec.toRow(mark).params,
    );
    const row = codec.fromRow(rows[0]!);
    return agentStatus(row.agent, row, now);
  }
}
