import type pg from 'pg';
import { JsonText } from '../../ports/bulk-loader.js';

/** The part of pg's Connection a COPY FROM STDIN drives (pg has no public COPY API; pg-copy-streams uses the same hooks). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean; writableLength: number };
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const escaped = (c: string) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r');

/** Text for COPY's text format: backslash, tab, newline and CR escaped. */
function escape(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, escaped) : text;
}

const DAY_MS = 86_400_000;
/** 10000-01-01: beyond it toISOString() writes a six-digit year. */
const YEAR_10000_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
let cachedDay = NaN;
let cachedDate = '';

/**
 * Epoch milliseconds as `new Date(ms).toISOString()` writes them (UTC, `Z`), without a
 * Date: rows come mostly in time order, so the date part of the last day is reused.
 * Years past 9999 lose toISOString's `+` and leading zeros, which PostgreSQL refuses.
 */
export function timestampText(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) {
    const iso = new Date(ms).toISOString(); // throws RangeError for NaN, like a Date would
    return iso.startsWith('+') ? iso.replace(/^\+0*/, '') : iso;
  }
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = Math.floor(rest - seconds * 1000);
  return `${cachedDate}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** A non-JSON value as text: Dates in ISO form, booleans as t/f. */
export function plainText(value: unknown): string {
  if (value instanceof Date) return timestampText(value.getTime());
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return typeof value === 'string' ? value : String(value);
}

/** A value in COPY's text format: \N for NULL; JSON columns as JSON text; Dates in ISO form. */
export function copyText(value: unknown, json: boolean): string {
  if (value === null || value === undefined) return '\\N';
  if (json) return escape(value instanceof JsonText ? value.text : JSON.stringify(value));
  return escape(plainText(value));
}

/**
 * A whole CopyData message of the wire protocol ('d', its length, then the data), written
 * to the connection's socket as it is. `taken` is called when the socket took all of it
 * at once (nothing of it is queued), so that its buffer may be written into again.
 */
export class CopyData {
  constructor(
    readonly message: Buffer,
    readonly taken: () => void,
  ) {}
}

/**
 * `COPY ... FROM STDIN` fed from an async source of chunks (text, or Buffers in either format), as a pg
 * Submittable: `client.query(copy)` runs it on the client's connection in turn with its
 * other queries, and `copy.done` settles when the server has taken (or refused) every
 * row. A failing source aborts the COPY (CopyFail) and `done` rejects with its error.
 */
export class CopyIn implements pg.Submittable {
  readonly done: Promise<number>;
  private settle!: { resolve: (rows: number) => void; reject: (error: unknown) => void };
  private rows = 0;
  private failed: unknown = null;
  private serverError = false;

  constructor(
    private readonly text: string,
    private readonly chunks: AsyncIterable<string | Buffer | CopyData>,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    void this.pump(connection);
  }

  handleCommandComplete(message: { text?: string }): void {
    this.rows = Number(/\d+$/.exec(message.text ?? '')?.[0] ?? 0);
  }

  handleReadyForQuery(): void {
    if (this.failed) this.settle.reject(this.failed);
    else this.settle.resolve(this.rows);
  }

  handleError(error: Error): void {
    this.serverError = true;
    this.settle.reject(this.failed ?? error);
  }

  private async pump(connection: CopyConnection): Promise<void> {
    try {
      for await (const chunk of this.chunks) {
        if (this.serverError) return;
        if (chunk instanceof CopyData) {
          // Already a whole message: written as the driver writes its own (Connection#_send).
          const stream = connection.stream;
          if (stream.writable) {
            stream.write(chunk.message);
            // Nothing left queued: the kernel has the bytes, and no write request holds the buffer.
            if (stream.writableLength === 0) chunk.taken();
          }
        } else connection.sendCopyFromChunk(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
        if (connection.stream.writableNeedDrain) await new Promise((resolve) => connection.stream.once('drain', resolve));
      }
      if (!this.serverError) connection.endCopyFrom();
    } catch (error) {
      this.failed = error;
      if (!this.serverError) connection.sendCopyFail(`source failed: ${(error as Error).message ?? error}`);
    }
  }
}
