import pg from 'pg';
import { UnavailableError } from '../../domain/errors.js';

/** One server a configuration names. */
export interface HostTarget {
  host: string;
  port: number;
}

/** What to require of the server a new connection goes to (libpq's `target_session_attrs`). */
export type TargetSessionAttrs = 'any' | 'read-write';

/** The servers of a configuration, in the order to try them. */
export interface HostPlan {
  targets: HostTarget[];
  attrs: TargetSessionAttrs;
  /** The connection string without its host list (pg takes one host); null without a URL. */
  url: string | null;
}

const MULTI_HOST = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i;

/**
 * Reads the hosts of a URL (`postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write`,
 * the libpq form) or of the `hosts` list. Several hosts without an explicit
 * `target_session_attrs` mean `read-write`: the daemon writes, so only a primary will do.
 */
export function hostPlan(options: {
  url?: string;
  host?: string;
  port?: number;
  hosts?: { host: string; port?: number }[];
  targetSessionAttrs?: TargetSessionAttrs;
}): HostPlan {
  let targets: HostTarget[] = [];
  let url: string | null = null;
  let attrs = options.targetSessionAttrs;
  if (options.url) {
    const match = MULTI_HOST.exec(options.url);
    if (match && match[3]!.includes(',')) {
      targets = match[3]!.split(',').map((part) => {
        const [host, port] = part.split(':');
        return { host: decodeURIComponent(host!), port: port ? Number(port) : 5432 };
      });
      // pg parses the rest; the host here is replaced per connection.
      url = `${match[1]}${match[2] ?? ''}${targets[0]!.host}:${targets[0]!.port}${match[4]}`;
    } else {
      url = options.url;
    }
    const query = /[?&]target_session_attrs=([^&#]*)/.exec(options.url);
    if (query) {
      attrs ??= query[1] === 'read-write' ? 'read-write' : 'any';
      url = url.replace(/([?&])target_session_attrs=[^&#]*&?/, '$1').replace(/[?&]$/, '');
    }
  }
  if (options.hosts?.length) targets = options.hosts.map((h) => ({ host: h.host, port: h.port ?? 5432 }));
  return { targets, attrs: attrs ?? (targets.length > 1 ? 'read-write' : 'any'), url };
}

/**
 * Picks the server new connections go to, among several: the first (in the configured
 * order) that accepts a connection and, for `read-write`, is not in recovery and not
 * read-only. The choice is kept until `invalidate()` (a connection failed, or a server
 * answered as a standby), so a failover costs one probe round, not one per connection.
 */
export class HostSelector {
  private chosen: HostTarget | null = null;
  private probing: Promise<HostTarget> | null = null;

  constructor(
    private readonly plan: HostPlan,
    private readonly base: pg.ClientConfig,
  ) {}

  /** Whether there is anything to choose (more than one server, or a session attribute to check). */
  get active(): boolean {
    return this.plan.targets.length > 1 || (this.plan.targets.length === 1 && this.plan.attrs === 'read-write');
  }

  /** `config` pointed at the server chosen last (call `ready()` first). */
  configFor(config: pg.ClientConfig): pg.ClientConfig {
    return this.chosen ? atTarget(config, this.chosen) : config;
  }

  /** The server to connect to, probing when none is chosen. Throws UnavailableError when none qualifies. */
  async ready(): Promise<HostTarget> {
    if (this.chosen) return this.chosen;
    this.probing ??= this.probe().finally(() => (this.probing = null));
    return this.probing;
  }

  /** Forgets the choice: the next connection probes again. */
  invalidate(): void {
    this.chosen = null;
  }

  private async probe(): Promise<HostTarget> {
    const problems: string[] = [];
    for (const target of this.plan.targets) {
      const client = new pg.Client(atTarget(this.base, target));
      client.on('error', () => {});
      try {
        await client.connect();
        if (this.plan.attrs === 'read-write') {
          const { rows } = await client.query<{ standby: boolean; ro: string }>(
            "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS ro",
          );
          if (rows[0]!.standby || rows[0]!.ro === 'on') {
            problems.push(`${target.host}:${target.port} is read-only (a standby)`);
            continue;
          }
        }
        this.chosen = target;
        return target;
      } catch (error) {
        problems.push(`${target.host}:${target.port}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    throw new UnavailableError(`database unavailable: no server accepts writes (${problems.join('; ')})`);
  }
}

/** `config` with its server replaced by `target` (pg lets a connection string's host win over `host`). */
export function atTarget(config: pg.ClientConfig, target: HostTarget): pg.ClientConfig {
  if (!config.connectionString) return { ...config, host: target.host, port: target.port };
  const match = MULTI_HOST.exec(config.connectionString)!;
  const host = target.host.includes(':') ? `[${target.host}]` : encodeURIComponent(target.host);
  return { ...config, connectionString: `${match[1]}${match[2] ?? ''}${host}:${target.port}${match[4]}` };
}

/**
 * The error means the chosen server no longer serves writes: it is gone (refused, reset,
 * terminated by a shutdown) or became a standby (25006 read-only transaction).
 */
export function serverGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code === '25006' || code === '57P01' || code === '57P02' || code === '57P03') return true;
  if (code && (code.startsWith('08') || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code))) return true;
  return /Connection terminated|connect ECONNREFUSED|Connection closed/i.test(error.message);
}
