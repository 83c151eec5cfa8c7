/**
 * How each entity field is stored. Adapters map every kind to their engine's
 * native type (see docs/architecture.md); the domain only states the kind.
 */
export type FieldKind = 'text' | 'int' | 'real' | 'bool' | 'json' | 'time';

/** The storage kind of every field of an entity, keyed by its camelCase name. */
export type FieldKinds<T> = { readonly [K in keyof T]-?: FieldKind };

/** `lastOutputAt` -> `last_output_at`. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
