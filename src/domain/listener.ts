import { z } from 'zod';
import { type FieldKinds } from './fields.js';

/** A session (the caller) waiting to hear when another session (the target) finishes a turn. */
export interface Listener {
  targetSessionId: string;
  callerSessionId: string;
  callerTmuxSession: string;
  registeredAt: Date;
}

export const listenerFields: FieldKinds<Listener> = {
  targetSessionId: 'text',
  callerSessionId: 'text',
  callerTmuxSession: 'text',
  registeredAt: 'time',
};

export const ListenerSessionId = z.string().min(1, 'must not be empty');
export const TmuxSessionName = z.string({ error: 'must be a string' });

/** Listing order: oldest registration first, then caller, then target (byte order). */
export function byRegistration(a: Listener, b: Listener): number {
  return (
    a.registeredAt.getTime() - b.registeredAt.getTime() ||
    compare(a.callerSessionId, b.callerSessionId) ||
    compare(a.targetSessionId, b.targetSessionId)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
