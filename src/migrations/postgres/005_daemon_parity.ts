import type pg from 'pg';
import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

/*
 * Indexes the daemon's queries relied on, restored where a port query uses them (see the
 * SQLite twin for which query uses which; session_tokens(expires_at) is not restored, as
 * nothing selects tokens by expiry).
 *
 * The search vectors become the words of domain/search.ts exactly, as SQLite's FTS5
 * tokenizer and the bulk writers (postgres-fts.ts) already have them: runs of letters and
 * digits of the lowercased text, each one lexeme, without PostgreSQL's text parser, which
 * split some runs (`1e5x` into `1e5` and `x`) so that a prefix query (`'1e5x':*`) could not
 * find them and `x` found a word the package's rules do not contain. Words over 2047 bytes
 * are left out, as to_tsvector left them out. Existing rows are recomputed by the trigger.
 */
const vector = (text: string, collation: string, split: boolean) =>
  split
    ? String.raw`array_to_tsvector(ARRAY(SELECT w FROM regexp_split_to_table(lower((${text}) COLLATE ${collation}), '[^[:alnum:]]+') AS w
        WHERE w <> '' AND octet_length(w) <= 2047))`
    : String.raw`strip(to_tsvector('simple'::regconfig,
        regexp_replace(lower((${text}) COLLATE ${collation}), '[^[:alnum:]]+', ' ', 'g')))`;
const jsonText = (column: string) => String.raw`regexp_replace(${column}::text, '\\(u[0-9a-fA-F]{4}|.)', ' ', 'g')`;
const TEXTS: Record<string, string> = {
  memory_observations: `coalesce(NEW.title, '') || ' ' || coalesce(NEW.subtitle, '') || ' ' || coalesce(NEW.narrative, '') || ' ' || ${jsonText('NEW.facts')} || ' ' || ${jsonText('NEW.concepts')}`,
  mirrors: `coalesce(NEW.title, '') || ' ' || NEW.conversation_text`,
};

const searchFunctions = (collation: string, split: boolean) =>
  Object.entries(TEXTS)
    .map(
      ([table, text]) => `
CREATE OR REPLACE FUNCTION ${table}_search_vector() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.search_vector IS NOT NULL THEN RETURN NEW; END IF;
  IF TG_OP = 'UPDATE' AND NEW.search_vector IS DISTINCT FROM OLD.search_vector THEN RETURN NEW; END IF;
  NEW.search_vector := ${vector(text, collation, split)};
  RETURN NEW;
END
$fn$;
UPDATE ${table} SET search_vector = search_vector;`,
    )
    .join('\n');

async function collationOf(client: pg.ClientBase): Promise<string> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'");
  return rowCount ? '"und-x-icu"' : '"default"';
}

const up = (collation: string): string => `
CREATE INDEX idx_memory_observations_project_type ON memory_observations (project, type, created_at);
CREATE INDEX idx_memory_observations_project_identity_key ON memory_observations (project, identity_key);
CREATE INDEX idx_webhook_contracts_active ON webhook_contracts (active, id);
${searchFunctions(collation, true)}`;

export const migration: Omit<PostgresMigration, 'name'> = {
  async up(client: pg.ClientBase) {
    await client.query(up(await collationOf(client)));
  },
  sql: up('<collation>'),
  async down(client: pg.ClientBase) {
    await client.query(`
${searchFunctions(await collationOf(client), false)}
DROP INDEX idx_webhook_contracts_active;
DROP INDEX idx_memory_observations_project_identity_key;
DROP INDEX idx_memory_observations_project_type;`);
  },
};
