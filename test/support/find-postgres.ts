import pg from 'pg';

export interface FoundPostgres {
  url?: string;
  problem?: string;
  stop?: () => Promise<void>;
}

const LOCAL = 'postgresql://postgres@127.0.0.1:5432/postgres';

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

/** TEST_DATABASE_URL, else the local server, else testcontainers; never silently nothing. */
export async function findPostgres(): Promise<FoundPostgres> {
  const explicit = process.env.TEST_DATABASE_URL;
  if (explicit) {
    const problem = await reachable(explicit);
    return problem ? { problem: `TEST_DATABASE_URL is set but cannot be reached: ${problem}` } : { url: explicit };
  }
  const localProblem = await reachable(LOCAL);
  if (!localProblem) return { url: LOCAL };
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16').start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch (error) {
    return {
      problem:
        'no PostgreSQL server for the tests. Provide one with TEST_DATABASE_URL=postgresql://user:pass@host:port/db ' +
        '(a role that may CREATE DATABASE), or run one on 127.0.0.1:5432 (e.g. `docker compose up -d`), ' +
        `or make a Docker engine available for testcontainers. Local server: ${localProblem}; ` +
        `testcontainers: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
