/**
 * Domain errors. Each class carries a stable uppercase `code` that callers may
 * switch on; messages name the thing and the reason and may change between
 * versions. Programmer mistakes are plain `TypeError`s, not these.
 */
export type ErrorCode =
  | 'TC_NOT_FOUND'
  | 'TC_CONFLICT'
  | 'TC_FOREIGN_KEY'
  | 'TC_VALIDATION'
  | 'TC_INSTANCE_LOCKED'
  | 'TC_MIGRATION'
  | 'TC_CONFIG'
  | 'TC_UNAVAILABLE'
  | 'TC_COPY_UNFINISHED';

export abstract class TeleclaudeError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mutation addressed a row that does not exist. */
export class NotFoundError extends TeleclaudeError {
  readonly code = 'TC_NOT_FOUND';

  constructor(
    readonly entity: string,
    readonly id: string | number,
  ) {
    super(`${entity} ${JSON.stringify(id)} not found`);
  }
}

/** A write collided with a unique key, or a state transition was not allowed. */
export class ConflictError extends TeleclaudeError {
  readonly code = 'TC_CONFLICT';
}

/** A write referenced a parent row that does not exist. */
export class ForeignKeyError extends TeleclaudeError {
  readonly code = 'TC_FOREIGN_KEY';
}

/** Input (or a stored value) broke a schema rule. `field` is the dotted path of the offending field. */
export class ValidationError extends TeleclaudeError {
  readonly code = 'TC_VALIDATION';

  constructor(
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(field ? `${field}: ${reason}` : reason, options);
  }
}

/** Another process holds the single-instance lock of this database. */
export class InstanceLockedError extends TeleclaudeError {
  readonly code = 'TC_INSTANCE_LOCKED';

  constructor(
    message: string,
    readonly holder?: InstanceLockHolder,
  ) {
    super(message);
  }
}

/** What is known of the process that holds an instance lock. */
export interface InstanceLockHolder {
  /** Operating-system pid of the holding process. */
  pid?: number;
  host?: string;
  /** When the holder took the lock (PostgreSQL: when its connection started). */
  startedAt?: Date;
  applicationName?: string;
  /** PostgreSQL: the client address of the holding connection. */
  clientAddress?: string;
  /** PostgreSQL: the server process of the holding connection. */
  backendPid?: number;
  /** PostgreSQL lease: when the lease runs out unless its holder renews it. */
  expiresAt?: Date;
  /** PostgreSQL lease: the holder's fencing token (grows with every acquisition). */
  epoch?: number;
}

/** A migration failed, or the database and the code disagree about the schema. */
export class MigrationError extends TeleclaudeError {
  readonly code = 'TC_MIGRATION';
}

/** The configuration is invalid. `key` is the dotted config key. */
export class ConfigError extends TeleclaudeError {
  readonly code = 'TC_CONFIG';

  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(key ? `config ${key}: ${reason}` : `config: ${reason}`, options);
  }
}

/** The database cannot be reached right now (server down, connection lost, timeout). */
export class UnavailableError extends TeleclaudeError {
  readonly code = 'TC_UNAVAILABLE';
}

/**
 * The database holds a copy (`teleclaude-db copy`) that did not finish: some tables are
 * missing or half its foreign keys are suspended. Nothing may use it until the copy is
 * resumed. `location` is the database (password masked), `sources` where the copy read.
 */
export class CopyUnfinishedError extends TeleclaudeError {
  readonly code = 'TC_COPY_UNFINISHED';

  constructor(
    readonly location: string,
    readonly sources: string[],
    detail: { tables: number; suspendedKeys: number },
  ) {
    const from = sources.length === 1 ? sources[0]!.replace(/, last written .*$/, '') : 'SOURCE';
    const state = `${detail.tables} table(s) copied${detail.suspendedKeys ? `, ${detail.suspendedKeys} foreign key(s) suspended` : ''}`;
    super(
      `${location} holds an unfinished copy (${state}${sources.length ? `, from ${sources.join('; ')}` : ''}); ` +
        `finish it with: teleclaude-db copy --from ${from} --to ${location} --resume`,
    );
  }
}
