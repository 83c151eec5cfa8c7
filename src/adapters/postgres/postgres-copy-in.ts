import type pg from 'pg';
import { JsonText } from '../../ports/bulk-loader.js';

/** The part of pg's Connection a COPY FROM STDIN drives (pg has no public COPY API; pg-copy-streams uses the same hooks). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
}

/** A value in COPY's text format: \N for NULL; backslash, tab, newline and CR escaped. */
export function copyText(value: unknown, json: boolean): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (json) text = value instanceof JsonText ? value.text : JSON.stringify(value);
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'boolean') return value ? 't' : 'f';
  else if (typeof value === 'number') return String(value);
  else text = typeof value === 'string' ? value : String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
}

/**
 * `COPY ... FROM STDIN` fed from an async source of text-format chunks, as a pg
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
    private readonly chunks: AsyncIterable<string>,
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
        connection.sendCopyFromChunk(Buffer.from(chunk, 'utf8'));
        if (connection.stream.writableNeedDrain) await new Promise((resolve) => connection.stream.once('drain', resolve));
      }
      if (!this.serverError) connection.endCopyFrom();
    } catch (error) {
      this.failed = error;
      if (!this.serverError) connection.sendCopyFail(`source failed: ${(error as Error).message ?? error}`);
    }
  }
}
