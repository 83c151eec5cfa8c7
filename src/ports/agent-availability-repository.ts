import {
  AgentName,
  DegradedReasonInput,
  MarkUntil,
  UnavailableReasonInput,
  type AgentStatus,
  type UnavailableReason,
} from '../domain/agent-availability.js';
import type { InputSchemas } from './validation.js';

/**
 * Whether each agent can take work now. A mark with an until-time expires at that time
 * (by the injected clock); a mark without one lasts until `markAvailable`.
 */
export interface AgentAvailabilityRepository {
  /**
   * The state of `agent` now: `unavailable` or `degraded` while an unexpired mark exists,
   * else `available` (also for an agent never marked). An expired mark is reset to
   * available as it is read.
   */
  get(agent: string): Promise<AgentStatus>;
  /** The state of every agent that has a row, ordered by agent (byte order); expired marks read as available. */
  list(): Promise<AgentStatus[]>;
  /** Marks the agent unavailable until `until` (null: until `markAvailable`), in one atomic upsert. Clears any degraded mark. */
  markUnavailable(agent: string, until: Date | null, reason: UnavailableReason): Promise<AgentStatus>;
  /**
   * Marks the agent degraded (still usable) until `until` (null: until `markAvailable`), in one
   * atomic upsert; `reason` is stored as `degraded:<detail>` (the prefix is added when missing).
   * Clears any unavailable mark.
   */
  markDegraded(agent: string, until: Date | null, reason: string): Promise<AgentStatus>;
  /** Clears every mark of the agent, in one atomic upsert. */
  markAvailable(agent: string): Promise<AgentStatus>;
  /** Resets every expired mark to available; returns how many rows changed. */
  clearExpired(): Promise<number>;
}

export const agentAvailabilityRepositoryInputs: InputSchemas<AgentAvailabilityRepository> = {
  get: [['agent', AgentName]],
  list: [],
  markUnavailable: [
    ['agent', AgentName],
    ['until', MarkUntil],
    ['reason', UnavailableReasonInput],
  ],
  markDegraded: [
    ['agent', AgentName],
    ['until', MarkUntil],
    ['reason', DegradedReasonInput],
  ],
  markAvailable: [['agent', AgentName]],
  clearExpired: [],
};
