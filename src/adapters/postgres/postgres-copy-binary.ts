import { ValidationError } from '../../domain/errors.js';
import { JsonText } from '../../ports/bulk-loader.js';
import { CopyData, plainText } from './postgres-copy-in.js';

/**
 * COPY's binary format (https://www.postgresql.org/docs/current/sql-copy.html): the
 * server reads each value in its binary form instead of parsing text (no delimiter
 * scanning, no timestamp or number parsing), which takes about a third off its share of
 * a bulk load. Only the types below have a writer; a table with any other column type is
 * loaded in the text format.
 */

/** Signature, flags (no OIDs) and an empty header extension. */
export const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** A field count of -1 ends the data. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01. */
const POSTGRES_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/** A growing buffer that one batch is written into. */
export class BinaryWriter {
  buffer: Buffer;
  position = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(size, 1024));
  }

  ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  int16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeInt16BE(value, this.position);
  }

  null(): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32BE(-1, this.position);
  }

  /** A field of `text`'s UTF-8 bytes, after `prefix` bytes (jsonb's version byte). */
  text(text: string, prefix?: number): void {
    const extra = prefix === undefined ? 0 : 1;
    const length = text.length;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.ensure(4 + extra + length * 3);
    const buffer = this.buffer;
    const start = this.position + 4;
    if (extra) buffer[start] = prefix!;
    let at = start + extra;
    // Short ASCII strings are copied here; anything else goes through Buffer#write.
    let i = 0;
    if (length <= 64) {
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[at + i] = code;
      }
    }
    at += i === length ? length : buffer.write(text, at, 'utf8');
    buffer.writeInt32BE(at - start, this.position);
    this.position = at;
  }

  /** An 8-byte field holding the signed integer `high * 2^32 + low` (0 <= low < 2^32). */
  int64(high: number, low: number): void {
    this.ensure(12);
    let at = this.buffer.writeInt32BE(8, this.position);
    at = this.buffer.writeInt32BE(high, at);
    this.position = this.buffer.writeUInt32BE(low, at);
  }

  /**
   * Everything written so far, handed over; writing goes on in a new buffer of the same
   * size, or of FLUSH_BYTES when one huge value grew it past that.
   */
  take(): Buffer {
    const out = this.buffer.subarray(0, this.position);
    this.buffer = Buffer.allocUnsafe(Math.min(this.buffer.length, Math.max(FLUSH_BYTES, 1024)));
    this.position = 0;
    return out;
  }
}

/** Bytes of a CopyData message before its data: the type byte 'd' and a 4-byte length. */
const MESSAGE_HEADER = 5;
/** A message buffer: FLUSH_BYTES of rows and room for the row that crosses it (a longer row grows a buffer of its own). */
const MESSAGE_BUFFER = MESSAGE_HEADER + 1024 * 1024 + 64 * 1024;
/**
 * A BinaryWriter whose pieces are whole CopyData messages: each is written to the socket
 * as it is, not copied again into a message of the driver's own, and its buffer is
 * written into again once the socket has taken all of it (see CopyData.taken).
 */
export class CopyDataWriter extends BinaryWriter {
  /** A buffer the socket has taken in full, to write the next message into. */
  private free: Buffer | null = null;

  constructor() {
    super(MESSAGE_BUFFER);
    this.position = MESSAGE_HEADER;
  }

  /** The rows written so far as one CopyData message; writing goes on in a free buffer or a new one. */
  message(): CopyData {
    const buffer = this.buffer;
    buffer[0] = 0x64; // 'd'
    buffer.writeInt32BE(this.position - 1, 1);
    const message = new CopyData(buffer.subarray(0, this.position), () => {
      // A buffer grown for one long row is left to the garbage collector.
      if (buffer.length === MESSAGE_BUFFER) this.free = buffer;
    });
    this.buffer = this.free ?? Buffer.allocUnsafe(MESSAGE_BUFFER);
    this.free = null;
    this.position = MESSAGE_HEADER;
    return message;
  }

  /** Whether any row was written since the last message. */
  get pending(): boolean {
    return this.position > MESSAGE_HEADER;
  }
}

/** Writes one value of a column; throws ValidationError naming `field` for a value the type cannot hold. */
export type BinaryEncode = (value: unknown, out: BinaryWriter) => void;

function integerOf(value: unknown, field: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new ValidationError(field, `not an integer: ${String(value)}`);
  if (n < min || n > max) throw new ValidationError(field, `out of range: ${String(value)}`);
  return n;
}

/** The writer for a column of type `sql` (format_type()), or null when the type has none. */
export function binaryEncoder(sql: string, field: string): BinaryEncode | null {
  switch (sql) {
    case 'text':
      return (v, out) => (v === null || v === undefined ? out.null() : out.text(typeof v === 'string' ? v : plainText(v)));
    case 'jsonb':
      return (v, out) => (v === null || v === undefined ? out.null() : out.text(v instanceof JsonText ? v.text : JSON.stringify(v), 1));
    case 'json':
      return (v, out) => (v === null || v === undefined ? out.null() : out.text(v instanceof JsonText ? v.text : JSON.stringify(v)));
    case 'boolean':
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw new ValidationError(field, `not a boolean: ${String(v)}`);
        out.ensure(5);
        const at = out.buffer.writeInt32BE(1, out.position);
        out.buffer[at] = v ? 1 : 0;
        out.position = at + 1;
      };
    case 'integer':
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        const n = integerOf(v, field, -2_147_483_648, 2_147_483_647);
        out.ensure(8);
        out.position = out.buffer.writeInt32BE(n, out.buffer.writeInt32BE(4, out.position));
      };
    case 'bigint':
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        if (typeof v === 'bigint') {
          if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new ValidationError(field, `out of range: ${v}`);
          return out.int64(Number(v >> 32n), Number(v & 0xffffffffn));
        }
        const n = integerOf(v, field, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
        const high = Math.floor(n / TWO_32);
        out.int64(high, n - high * TWO_32);
      };
    case 'double precision':
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (typeof v !== 'number' && Number.isNaN(n)) throw new ValidationError(field, `not a number: ${String(v)}`);
        out.ensure(12);
        out.position = out.buffer.writeDoubleBE(n, out.buffer.writeInt32BE(8, out.position));
      };
    case 'timestamp with time zone':
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : new Date(v as string).getTime();
        if (!Number.isFinite(ms)) throw new ValidationError(field, `not a timestamp: ${String(v)}`);
        // Microseconds since 2000-01-01 as high * 2^32 + low, exactly (the product would need 58 bits).
        const since = Math.trunc(ms) - POSTGRES_EPOCH_MS;
        const high = Math.floor(since / TWO_32);
        const lowMicros = (since - high * TWO_32) * 1000;
        const carry = Math.floor(lowMicros / TWO_32);
        out.int64(high * 1000 + carry, lowMicros - carry * TWO_32);
      };
    case 'tsvector':
      // Stripped lexemes (no positions), as the search vectors are: a count, then each
      // lexeme NUL-terminated with a position count of 0. The server sorts them.
      return (v, out) => {
        if (v === null || v === undefined) return out.null();
        if (!Array.isArray(v)) throw new ValidationError(field, 'a tsvector is written from its list of lexemes');
        const words = v as string[];
        let bytes = 4;
        for (const word of words) bytes += Buffer.byteLength(word) + 3;
        out.ensure(4 + bytes);
        const buffer = out.buffer;
        let at = buffer.writeInt32BE(bytes, out.position);
        at = buffer.writeInt32BE(words.length, at);
        for (const word of words) {
          at += buffer.write(word, at, 'utf8');
          buffer[at++] = 0;
          at = buffer.writeUInt16BE(0, at);
        }
        out.position = at;
      };
    default:
      return null;
  }
}

/**
 * Encoded rows are handed over once this many bytes are written, within a batch too: a
 * batch of wide rows (long transcripts) is then never held encoded whole, nor queued whole
 * on the socket, beside its rows.
 */
export const FLUSH_BYTES = 1024 * 1024;

/** The rows of `batch` in the binary format, in CopyData messages of about FLUSH_BYTES (the last one smaller). */
export function* encodeBinaryRows(batch: unknown[][], encoders: BinaryEncode[], out: CopyDataWriter): Generator<CopyData> {
  const width = encoders.length;
  for (const row of batch) {
    out.int16(width);
    for (let i = 0; i < width; i++) encoders[i]!(row[i], out);
    if (out.position >= FLUSH_BYTES) yield out.message();
  }
  if (out.pending) yield out.message();
}

/** One batch in the binary format: per row a field count, then each field. */
export function encodeBinaryBatch(batch: unknown[][], encoders: BinaryEncode[], out: BinaryWriter): Buffer {
  const width = encoders.length;
  for (const row of batch) {
    out.int16(width);
    for (let i = 0; i < width; i++) encoders[i]!(row[i], out);
  }
  return out.take();
}
