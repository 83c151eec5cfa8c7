import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

/*
 * What an installation of the older daemon holds and 003 refused (see
 * ../shared/legacy-teleclaude.md): agent_availability.reason is free text; a mirror may have
 * no source identity (NULL: no transcript; the unique key still allows several, NULLs
 * being distinct); mirror_tombstones keeps the transcript's mtime exactly, as integer
 * nanoseconds in text (file_mtime_ns; the former epoch-milliseconds value is converted).
 */
export const migration: Omit<PostgresMigration, 'name'> = {
  up: `
ALTER TABLE agent_availability DROP CONSTRAINT agent_availability_reason_check;
ALTER TABLE mirrors ALTER COLUMN source_identity DROP NOT NULL;
ALTER TABLE mirror_tombstones RENAME COLUMN file_mtime TO file_mtime_ns;
ALTER TABLE mirror_tombstones ALTER COLUMN file_mtime_ns TYPE text
  USING CASE WHEN file_mtime_ns IS NULL OR file_mtime_ns < 0 THEN NULL ELSE round(file_mtime_ns::numeric * 1000000)::text END;
ALTER TABLE mirror_tombstones ADD CONSTRAINT mirror_tombstones_file_mtime_ns_check CHECK (file_mtime_ns ~ '^[0-9]+$');
`,
  // Going back refuses what 003 cannot hold: NULL identities, and reasons outside its list.
  down: `
ALTER TABLE mirror_tombstones DROP CONSTRAINT mirror_tombstones_file_mtime_ns_check;
ALTER TABLE mirror_tombstones ALTER COLUMN file_mtime_ns TYPE double precision USING file_mtime_ns::numeric / 1000000;
ALTER TABLE mirror_tombstones RENAME COLUMN file_mtime_ns TO file_mtime;
ALTER TABLE mirrors ALTER COLUMN source_identity SET NOT NULL;
ALTER TABLE agent_availability ADD CONSTRAINT agent_availability_reason_check CHECK (reason IN ('quota_exhausted', 'rate_limited', 'service_outage')
    OR (substr(reason, 1, 9) = 'degraded:' AND length(reason) > 9));
`,
};
