import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { DateInput } from './validation.js';

/** The stored availability mark of one agent (claude, gemini, codex, ...). */
export interface AgentAvailability {
  agent: string;
  available: boolean;
  unavailableUntil: Date | null;
  degradedUntil: Date | null;
  reason: string | null;
}

export const agentAvailabilityFields: FieldKinds<AgentAvailability> = {
  agent: 'text',
  available: 'bool',
  unavailableUntil: 'time',
  degradedUntil: 'time',
  reason: 'text',
};

export const UNAVAILABLE_REASONS = ['quota_exhausted', 'rate_limited', 'service_outage'] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

export type AvailabilityState = 'available' | 'degraded' | 'unavailable';

/** What `get` reports: the state now, until when it lasts (null: until told otherwise) and why. */
export interface AgentStatus {
  agent: string;
  status: AvailabilityState;
  until: Date | null;
  reason: string | null;
}

export const AgentName = z.string().min(1, 'must not be empty');
export const UnavailableReasonInput = z.enum(UNAVAILABLE_REASONS);
/** `degraded:<detail>`; a bare detail gets the prefix. */
export const DegradedReasonInput = z
  .string()
  .min(1, 'must not be empty')
  .transform((r) => (r.startsWith('degraded:') ? r : `degraded:${r}`))
  .refine((r) => r.length > 'degraded:'.length, 'must name what is degraded, e.g. degraded:slow');
/** What a stored reason says, for the kinds the daemon writes; anything else (an operator's `--reason` text) is `other`. */
export type ReasonKind = UnavailableReason | 'degraded' | 'other';

/**
 * The kind of a stored reason. The stored text is free (the daemon stores whatever an
 * operator passes): `degraded` and `degraded:<detail>` are degraded, as the daemon reads them.
 */
export function reasonKind(reason: string): ReasonKind {
  if ((UNAVAILABLE_REASONS as readonly string[]).includes(reason)) return reason as UnavailableReason;
  return reason.startsWith('degraded') ? 'degraded' : 'other';
}

/** When a mark expires; null means it lasts until `markAvailable`. */
export const MarkUntil = DateInput.nullable();

/**
 * The state of a stored mark at `now`. A mark whose until-time has passed reads as
 * available; an agent without a row is available. A degraded reason (`degraded`,
 * `degraded:<detail>`) reads as degraded even on a row marked unavailable, as the daemon
 * reads it; any other reason (free text included) follows the row's available flag.
 */
export function agentStatus(agent: string, row: AgentAvailability | null, now: Date): AgentStatus {
  if (row && row.reason !== null && reasonKind(row.reason) === 'degraded' && (row.degradedUntil === null || row.degradedUntil > now)) {
    return { agent, status: 'degraded', until: row.degradedUntil, reason: row.reason };
  }
  if (row && !row.available && (row.unavailableUntil === null || row.unavailableUntil > now)) {
    return { agent, status: 'unavailable', until: row.unavailableUntil, reason: row.reason };
  }
  if (row && row.available && row.reason !== null && (row.degradedUntil === null || row.degradedUntil > now)) {
    return { agent, status: 'degraded', until: row.degradedUntil, reason: row.reason };
  }
  return { agent, status: 'available', until: null, reason: null };
}
