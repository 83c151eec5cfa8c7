import { z } from 'zod';
import { DAY, type FieldKinds } from './fields.js';
import { DurationMs, Id } from './validation.js';

/** The TTS voice given to a session (keyed by session id or native session id). */
export interface VoiceAssignment {
  id: string;
  serviceName: string;
  voice: string;
  assignedAt: Date;
}

export const voiceFields: FieldKinds<VoiceAssignment> = {
  id: 'text',
  serviceName: 'text',
  voice: 'text',
  assignedAt: 'time',
};

/** A (service, voice) pair in use by an open session. */
export interface VoiceInUse {
  serviceName: string;
  voice: string;
}

export const VoiceId = Id;
export const ServiceName = z.string().min(1, 'must not be empty');
export const VoiceName = z.string().default('');
export const StaleVoiceAge = DurationMs.default(7 * DAY);
