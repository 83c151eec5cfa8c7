import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/*
 * Reads the schema of an SQLite file from its bytes, without SQLite: opening a file in
 * WAL mode, even read-only, creates its -wal and -shm files, and a read-write open
 * switches its journal mode, so a command that must refuse a file untouched cannot ask
 * SQLite. Only the table b-tree of sqlite_master is walked (file format:
 * https://www.sqlite.org/fileformat2.html), with the committed frames of a WAL laid over
 * the main file. No lock is taken: the answer is as good as a glance.
 */

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

type Value = string | number | null | Buffer;

/** `sqlite_master.sql` of the table `name`, or null when the file holds no such table (or is no SQLite file). */
export function sqliteTableSql(path: string, name: string): string | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    if (readSync(fd, header, 0, 100, 0) < 100 || !header.subarray(0, 16).equals(HEADER)) return null;
    const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
    const usable = pageSize - header[20]!;
    const encoding = header.readUInt32BE(56);
    const text = (bytes: Buffer) => (encoding === 2 ? bytes.toString('utf16le') : encoding === 3 ? Buffer.from(bytes).swap16().toString('utf16le') : bytes.toString('utf8'));
    const wal = header[18] === 2 ? walPages(`${path}-wal`, pageSize) : new Map<number, Buffer>();
    const fileSize = fstatSync(fd).size;
    const page = (n: number): Buffer => {
      const fromWal = wal.get(n);
      if (fromWal) return fromWal;
      if (n < 1 || n * pageSize > fileSize) throw new Error(`page ${n} is outside the file`);
      const buffer = Buffer.alloc(pageSize);
      readSync(fd, buffer, 0, pageSize, (n - 1) * pageSize);
      return buffer;
    };
    for (const record of tableRecords(page, usable)) {
      const [type, entry, , , sql] = record;
      const decode = (v: Value | undefined) => (Buffer.isBuffer(v) ? text(v) : v);
      if (decode(type) === 'table' && decode(entry) === name) return (decode(sql) as string | null) ?? null;
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Every record of the table b-tree rooted at page 1 (sqlite_master), text left as bytes. */
function* tableRecords(page: (n: number) => Buffer, usable: number): Generator<Value[]> {
  const pending = [1];
  let visited = 0;
  while (pending.length > 0) {
    const n = pending.shift()!;
    if (++visited > 100_000) throw new Error('sqlite_master does not end');
    const buffer = page(n);
    const at = n === 1 ? 100 : 0;
    const kind = buffer[at];
    const cells = buffer.readUInt16BE(at + 3);
    if (kind === 0x05) {
      const children: number[] = [];
      for (let i = 0; i < cells; i++) children.push(buffer.readUInt32BE(buffer.readUInt16BE(at + 12 + 2 * i)));
      pending.unshift(...children, buffer.readUInt32BE(at + 8));
    } else if (kind === 0x0d) {
      for (let i = 0; i < cells; i++) {
        const [size, afterSize] = varint(buffer, buffer.readUInt16BE(at + 8 + 2 * i));
        const [, p] = varint(buffer, afterSize);
        yield record(payload(page, buffer, p, size, usable));
      }
    } else {
      throw new Error(`page ${n} is not a table b-tree page`);
    }
  }
}

/** A cell's payload: the part on the page, then the overflow chain. */
function payload(page: (n: number) => Buffer, buffer: Buffer, at: number, size: number, usable: number): Buffer {
  const max = usable - 35;
  let local = size;
  if (size > max) {
    const min = Math.floor(((usable - 12) * 32) / 255) - 23;
    const k = min + ((size - min) % (usable - 4));
    local = k <= max ? k : min;
  }
  const parts = [buffer.subarray(at, at + local)];
  let remaining = size - local;
  let next = remaining > 0 ? buffer.readUInt32BE(at + local) : 0;
  while (remaining > 0) {
    const overflow = page(next);
    const take = Math.min(remaining, usable - 4);
    parts.push(overflow.subarray(4, 4 + take));
    remaining -= take;
    next = overflow.readUInt32BE(0);
  }
  return Buffer.concat(parts);
}

function record(bytes: Buffer): Value[] {
  const [headerSize, start] = varint(bytes, 0);
  const types: number[] = [];
  for (let p = start; p < headerSize; ) {
    let type: number;
    [type, p] = varint(bytes, p);
    types.push(type);
  }
  const values: Value[] = [];
  let p = headerSize;
  for (const type of types) {
    if (type === 0 || type === 8 || type === 9) values.push(type === 0 ? null : type - 8);
    else if (type <= 6) {
      const width = [0, 1, 2, 3, 4, 6, 8][type]!;
      values.push(width <= 6 ? bytes.readIntBE(p, width) : Number(bytes.readBigInt64BE(p)));
      p += width;
    } else if (type === 7) {
      values.push(bytes.readDoubleBE(p));
      p += 8;
    } else {
      const length = Math.floor((type - 12) / 2);
      values.push(bytes.subarray(p, p + length));
      p += length;
    }
  }
  return values;
}

function varint(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return [value * 256 + bytes[at + 8]!, at + 9];
}

/**
 * The newest committed version of each page in the WAL: frames are taken while their
 * salts match the header's and their running checksum holds; only frames up to the last
 * commit frame count (https://www.sqlite.org/fileformat2.html#walformat).
 */
function walPages(path: string, pageSize: number): Map<number, Buffer> {
  const pages = new Map<number, Buffer>();
  if (!existsSync(path)) return pages;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(32);
    if (readSync(fd, header, 0, 32, 0) < 32) return pages;
    const magic = header.readUInt32BE(0);
    if ((magic !== 0x377f0682 && magic !== 0x377f0683) || header.readUInt32BE(8) !== pageSize) return pages;
    const bigEndian = magic === 0x377f0683;
    let sums = checksum(header.subarray(0, 24), [0, 0], bigEndian);
    if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) return pages;
    const frame = Buffer.alloc(24 + pageSize);
    let uncommitted = new Map<number, Buffer>();
    for (let offset = 32; readSync(fd, frame, 0, frame.length, offset) === frame.length; offset += frame.length) {
      if (!frame.subarray(8, 16).equals(header.subarray(16, 24))) break;
      sums = checksum(frame.subarray(24), checksum(frame.subarray(0, 8), sums, bigEndian), bigEndian);
      if (sums[0] !== frame.readUInt32BE(16) || sums[1] !== frame.readUInt32BE(20)) break;
      uncommitted.set(frame.readUInt32BE(0), Buffer.from(frame.subarray(24)));
      if (frame.readUInt32BE(4) !== 0) {
        for (const [n, data] of uncommitted) pages.set(n, data);
        uncommitted = new Map();
      }
    }
    return pages;
  } finally {
    closeSync(fd);
  }
}

function checksum(data: Buffer, [s0, s1]: [number, number], bigEndian: boolean): [number, number] {
  for (let i = 0; i < data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
