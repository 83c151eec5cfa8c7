import { agentAvailabilityFields, agentStatus, type AgentAvailability, type AgentStatus, type UnavailableReason } from '../../domain/agent-availability.js';
import type { AgentAvailabilityRepository } from '../../ports/agent-availability-repository.js';
import type { Clock } from '../../ports/clock.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(agentAvailabilityFields);
const EXPIRED = '((NOT available AND unavailable_until <= $1) OR (available AND degraded_until <= $1))';
const RESET = 'available = true, unavailable_until = NULL, degraded_until = NULL, reason = NULL';

export class PostgresAgentAvailabilityRepository implements AgentAvailabilityRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async get(agent: string): Promise<AgentStatus> {
    const now = this.clock.now();
    // One statement: reset the mark if it expired, and read the row either way.
    const { rows } = await this.db.query(
      `WITH reset AS (UPDATE agent_availability SET ${RESET} WHERE agent = $2 AND ${EXPIRED} RETURNING ${codec.columnList})
       SELECT ${codec.columnList} FROM reset
       UNION ALL
       SELECT ${codec.columnList} FROM agent_availability WHERE agent = $2 AND NOT EXISTS (SELECT 1 FROM reset)`,
      [now, agent],
    );
    return agentStatus(agent, rows[0] ? codec.fromRow(rows[0]) : null, now);
  }

  async list(): Promise<AgentStatus[]> {
    const now = this.clock.now();
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM agent_availability ORDER BY agent COLLATE "C"`);
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
    const { rowCount } = await this.db.query(`UPDATE agent_availability SET ${RESET} WHERE ${EXPIRED}`, [this.clock.now()]);
    return rowCount ?? 0;
  }

  private async upsert(mark: AgentAvailability): Promise<AgentStatus> {
    const now = this.clock.now();
    const { rows } = await this.db.query(
      `INSERT INTO agent_availability (agent, available, unavailable_until, degraded_until, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (agent) DO UPDATE SET available = excluded.available, unavailable_until = excluded.unavailable_until,
         degraded_until = excluded.degraded_until, reason = excluded.reason
       RETURNING ${codec.columnList}`,
      codec.toRow(mark).params,
    );
    const row = codec.fromRow(rows[0]!);
    return agentStatus(row.agent, row, now);
  }
}
