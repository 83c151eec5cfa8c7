import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';

/*
 * What an installation of the older daemon holds and 003 refused (see
 * ../shared/legacy-teleclaude.md): agent_availability.reason is free text; a mirror may have
 * no source identity (NULL: no transcript; the unique key still allows several, NULLs
 * being distinct); mirror_tombstones keeps the transcript's mtime exactly, as integer
 * nanoseconds in text (file_mtime_ns; the former epoch-milliseconds value is converted,
 * through DECIMAL so that no digit is lost to floating point).
 */
export const migration: Omit<MariadbMigration, 'name'> = {
  up: `
ALTER TABLE agent_availability DROP CONSTRAINT agent_availability_reason_check;
ALTER TABLE mirrors MODIFY COLUMN source_identity VARCHAR(768) NULL;
ALTER TABLE mirror_tombstones ADD COLUMN file_mtime_ns LONGTEXT AFTER file_size;
UPDATE mirror_tombstones SET file_mtime_ns =
  CASE WHEN file_mtime IS NULL OR file_mtime < 0 THEN NULL ELSE CAST(ROUND(CAST(file_mtime AS DECIMAL(65, 6)) * 1000000) AS CHAR) END;
ALTER TABLE mirror_tombstones DROP COLUMN file_mtime,
  ADD CONSTRAINT mirror_tombstones_file_mtime_ns_check CHECK (file_mtime_ns REGEXP '^[0-9]+$');
`,
  // Going back refuses what 003 cannot hold: NULL identities, and reasons outside its list.
  // Those two checks come first, as MariaDB commits each statement: a refusal of the first
  // leaves the migration applied as it was; one of the second leaves only the identity's
  // NOT NULL done, which the migrator reports as a half-reverted migration.
  down: `
ALTER TABLE mirrors MODIFY COLUMN source_identity VARCHAR(768) NOT NULL;
ALTER TABLE agent_availability ADD CONSTRAINT agent_availability_reason_check CHECK (reason IN ('quota_exhausted', 'rate_limited', 'service_outage')
    OR (substr(reason, 1, 9) = 'degraded:' AND char_length(reason) > 9));
ALTER TABLE mirror_tombstones DROP CONSTRAINT mirror_tombstones_file_mtime_ns_check,
  ADD COLUMN file_mtime DOUBLE AFTER file_size;
UPDATE mirror_tombstones SET file_mtime = CAST(file_mtime_ns AS DECIMAL(65, 0)) / 1000000;
ALTER TABLE mirror_tombstones DROP COLUMN file_mtime_ns;
`,
};
