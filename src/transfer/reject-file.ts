import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, realpathSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Reject } from './rows.js';

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR, O_WRONLY } = constants;

/**
 * The path as the file system resolves it: the real directory (symbolic links and `..`
 * resolved) joined with the name, so two spellings of one place compare equal even
 * when the file does not exist yet. Throws when the directory does not exist.
 */
export function canonicalPath(path: string): string {
  return join(realpathSync(dirname(path)), basename(path));
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Decides, before anything is written, whether `path` may receive a copy's rejects, and
 * returns it canonical (see `canonicalPath`). Refused: a symbolic link (even a dangling
 * one), a path in a directory that does not exist, any of `protectedPaths` (the
 * databases and their side files, compared by canonical path and by device and inode),
 * and any file that already exists, except `own`: the reject file that the interrupted
 * copy being resumed recorded in its target (then it must be a regular file).
 */
export function checkRejectPath(path: string, options: { protectedPaths: { path: string; what: string }[]; own: string | null }): string {
  const option = `--reject-file ${path}`;
  let canonical: string;
  try {
    canonical = canonicalPath(path);
  } catch {
    throw new Error(`${option}: its directory ${dirname(path)} does not exist`);
  }
  const entry = lstatOrNull(path);
  for (const guarded of options.protectedPaths) {
    let same = false;
    try {
      same = canonicalPath(guarded.path) === canonical;
    } catch {
      // A protected path in a directory that does not exist is no file to protect.
    }
    const there = statOrNull(guarded.path);
    const here = statOrNull(path);
    if (there && here && there.dev === here.dev && there.ino === here.ino) same = true;
    if (same) throw new Error(`${option}: that is ${guarded.what}; rejects go to a file of their own`);
  }
  if (entry?.isSymbolicLink()) {
    throw new Error(`${option}: it is a symbolic link; a copy writes its rejects only into a new file of its own (pass another --reject-file)`);
  }
  if (entry) {
    if (options.own !== null && options.own === canonical && entry.isFile()) return canonical;
    const resumeHint =
      options.own !== null
        ? ` (the interrupted copy's reject file is ${options.own})`
        : '; if it holds the rejects of an interrupted copy into this target, continue that copy with --resume';
    throw new Error(`${option}: the file exists and a copy never overwrites a file: move it away or pass another --reject-file${resumeHint}`);
  }
  return canonical;
}

/**
 * The reject file: one JSON object per line (table, id, reason, and the column and value
 * or the whole row). It is created on the first reject only, as a new file (O_EXCL,
 * never through a symbolic link, mode 0600: rows may hold private text). A resumed copy
 * continues the interrupted copy's file: it keeps the lines of the tables it skips and
 * drops those of the tables it redoes, so the file ends as an uninterrupted run would
 * leave it. Which existing file a copy may continue is decided by `checkRejectPath`;
 * an existing file is never touched without `keepTables`.
 */
export class RejectFile {
  private fd: number | null = null;
  /** Lines in the file (kept from an interrupted run, and written by this one). */
  written = 0;

  constructor(
    readonly path: string,
    keepTables: ReadonlySet<string> | null,
  ) {
    let fd: number;
    try {
      fd = openSync(path, O_RDWR | O_APPEND | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`reject file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      if (!keepTables) throw new Error(`reject file ${path} exists; a copy never overwrites a file`);
      if (!fstatSync(fd).isFile()) throw new Error(`reject file ${path} is not a regular file`);
      const kept = readFileSync(fd, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '' && keepTables.has((JSON.parse(line) as Reject).table));
      ftruncateSync(fd, 0);
      if (kept.length > 0) writeSync(fd, kept.map((line) => `${line}\n`).join(''));
      this.written = kept.length;
      this.fd = fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  write(reject: Reject): void {
    this.fd ??= openSync(this.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND, 0o600);
    writeSync(this.fd, `${JSON.stringify(reject)}\n`);
    this.written++;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
