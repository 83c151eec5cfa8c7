import { DAY } from '../../domain/fields.js';
import { voiceFields, type VoiceAssignment, type VoiceInUse } from '../../domain/voice.js';
import type { Clock } from '../../ports/clock.js';
import type { VoiceRepository } from '../../ports/voice-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(voiceFields);

export class MariadbVoiceRepository implements VoiceRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async assign(id: string, serviceName: string, voice = ''): Promise<VoiceAssignment> {
    // RETURNING of an upsert gives the row as written, inserted or updated.
    const { rows } = await this.db.query(
      `INSERT INTO voice_assignments (id, service_name, voice, assigned_at) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE service_name = VALUES(service_name), voice = VALUES(voice), assigned_at = VALUES(assigned_at)
       RETURNING ${codec.columnList}`,
      [id, serviceName, voice, this.clock.now().getTime()],
    );
    return codec.fromRow(rows[0]!);
  }

  async get(id: string): Promise<VoiceAssignment | null> {
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM voice_assignments WHERE id = ?`, [id]);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async voicesInUse(): Promise<VoiceInUse[]> {
    const { rows } = await this.db.query<{ service_name: string; voice: string }>(
      `SELECT v.service_name, v.voice FROM voice_assignments v
       WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.closed_at IS NULL AND s.lifecycle_status <> 'closed'
                       AND (s.id = v.id OR s.native_session_id = v.id))
       GROUP BY v.service_name, v.voice
       ORDER BY v.service_name, v.voice`,
    );
    return rows.map((r) => ({ serviceName: r.service_name, voice: r.voice }));
  }

  async removeStale(olderThanMs = 7 * DAY): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    const { rowCount } = await this.db.query('DELETE FROM voice_assignments WHERE assigned_at < ?', [cutoff]);
    return rowCount;
  }
}
