import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { Reject } from './rows.js';

/**
 * The reject file: one JSON object per line (table, id, reason, and the column and value
 * or the whole row). A fresh copy starts it empty; a resumed copy keeps the lines of
 * the tables it skips and drops those of the tables it redoes, so the file ends as an
 * uninterrupted run would leave it. Nothing is created until the first reject.
 */
export class RejectFile {
  private fd: number | null = null;
  written = 0;

  constructor(
    readonly path: string,
    keepTables: ReadonlySet<string> | null,
  ) {
    if (!existsSync(path)) return;
    const kept = keepTables
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && keepTables.has((JSON.parse(line) as Reject).table))
      : [];
    writeFileSync(path, kept.map((line) => `${line}\n`).join(''));
  }

  write(reject: Reject): void {
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, `${JSON.stringify(reject)}\n`);
    this.written++;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
