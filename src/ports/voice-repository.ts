import { ServiceName, StaleVoiceAge, VoiceId, VoiceName, type VoiceAssignment, type VoiceInUse } from '../domain/voice.js';
import type { InputSchemas } from './validation.js';

/** Voice assignments, keyed by a session id or a native session id. */
export interface VoiceRepository {
  /** Assigns (or re-assigns) a voice in one atomic upsert; assignedAt = now. Returns the row. */
  assign(id: string, serviceName: string, voice?: string): Promise<VoiceAssignment>;
  /** The assignment for this id; `null` when there is none. */
  get(id: string): Promise<VoiceAssignment | null>;
  /**
   * Distinct (serviceName, voice) pairs of assignments whose id is the id or the
   * nativeSessionId of an open session (closedAt null), ordered by service then voice.
   */
  voicesInUse(): Promise<VoiceInUse[]>;
  /** Deletes assignments whose assignedAt is older than now - olderThanMs (default 7 days); returns how many. */
  removeStale(olderThanMs?: number): Promise<number>;
}

export const voiceRepositoryInputs: InputSchemas<VoiceRepository> = {
  assign: [
    ['id', VoiceId],
    ['serviceName', ServiceName],
    ['voice', VoiceName],
  ],
  get: [['id', VoiceId]],
  voicesInUse: [],
  removeStale: [['olderThanMs', StaleVoiceAge]],
};
