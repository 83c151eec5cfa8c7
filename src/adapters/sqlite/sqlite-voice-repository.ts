import { DAY } from '../../domain/fields.js';
import { voiceFields, type VoiceAssignment, type VoiceInUse } from '../../domain/voice.js';
import type { Clock } from '../../ports/clock.js';
import type { VoiceRepository } from '../../ports/voice-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(voiceFields);
const ASSIGN = `INSERT INTO voice_assignments (id, service_name, voice, assigned_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET service_name = excluded.service_name, voice = excluded.voice, assigned_at = excluded.assigned_at
  RETURNING ${codec.columnList}`;
const GET = `SELECT ${codec.columnList} FROM voice_assignments WHERE id = ?`;

export class SqliteVoiceRepository implements VoiceRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  assign(id: string, serviceName: string, voice = ''): Promise<VoiceAssignment> {
    const now = this.clock.now().getTime();
    return this.db.run(() => codec.fromArray(this.db.prepareRaw(ASSIGN).get(id, serviceName, voice, now) as unknown[]));
  }

  get(id: string): Promise<VoiceAssignment | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(id) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  voicesInUse(): Promise<VoiceInUse[]> {
    return this.db.run(
      () =>
        this.db
          .prepare(
            `SELECT DISTINCT v.service_name AS serviceName, v.voice AS voice FROM voice_assignments v
             WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.closed_at IS NULL AND s.lifecycle_status <> 'closed'
                             AND (s.id = v.id OR s.native_session_id = v.id))
             ORDER BY v.service_name, v.voice`,
          )
          .all() as VoiceInUse[],
    );
  }

  removeStale(olderThanMs = 7 * DAY): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(() => this.db.prepare('DELETE FROM voice_assignments WHERE assigned_at < ?').run(cutoff).changes);
  }
}
