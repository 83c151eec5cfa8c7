import { agentAvailabilityFields, agentStatus, type AgentAvailability, type AgentStatus, type UnavailableReason } from '../../domain/agent-availability.js';
import type { AgentAvailabilityRepository } from '../../ports/agent-availability-repository.js';
import type { Clock } from '../../ports/clock.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(agentAvailabilityFields);
const EXPIRED = '((available = 0 AND unavailable_until <= ?) OR (available = 1 AND degraded_until <= ?))';
const UPSERT = `INSERT INTO agent_availability (agent, available, unavailable_until, degraded_until, reason) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (agent) DO UPDATE SET available = excluded.available, unavailable_until = excluded.unavailable_until,
    degraded_until = excluded.degraded_until, reason = excluded.reason
  RETURNING ${codec.columnList}`;
const CLEAR = `UPDATE agent_availability SET available = 1, unavailable_until = NULL, degraded_until = NULL, reason = NULL WHERE ${EXPIRED}`;
const CLEAR_ONE = `${CLEAR} AND agent = ?`;
const GET = `SELECT ${codec.columnList} FROM agent_availability WHERE agent = ?`;
const LIST = `SELECT ${codec.columnList} FROM agent_availability ORDER BY agent`;

export class SqliteAgentAvailabilityRepository implements AgentAvailabilityRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  get(agent: string): Promise<AgentStatus> {
    const now = this.clock.now();
    return this.db.run(() => {
      this.db.prepare(CLEAR_ONE).run(now.getTime(), now.getTime(), agent);
      const row = this.db.prepareRaw(GET).get(agent) as unknown[] | undefined;
      return agentStatus(agent, row === undefined ? null : codec.fromArray(row), now);
    });
  }

  list(): Promise<AgentStatus[]> {
    const now = this.clock.now();
    return this.db.run(() =>
      (this.db.prepareRaw(LIST).all() as unknown[][]).map((row) => {
          const mark = codec.fromArray(row);
          return agentStatus(mark.agent, mark, now);
        }),
    );
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

  clearExpired(): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(() => this.db.prepare(CLEAR).run(now, now).changes);
  }

  private upsert(mark: AgentAvailability): Promise<AgentStatus> {
    const now = this.clock.now();
    const params = codec.toParams(mark);
    return this.db.run(() => {
      const row = codec.fromArray(this.db.prepareRaw(UPSERT).get(params) as unknown[]);
      return agentStatus(row.agent, row, now);
    });
  }
}
