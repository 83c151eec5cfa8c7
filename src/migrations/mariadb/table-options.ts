/**
 * The options of every table of the MariaDB set: InnoDB (row locks, foreign keys,
 * SKIP LOCKED), utf8mb4 for all of Unicode, and utf8mb4_nopad_bin so that text compares
 * and sorts by code point, case-sensitively and with trailing spaces significant (utf8mb4_bin
 * pads), as PostgreSQL's "C" collation and SQLite's BINARY do.
 */
export const TABLE = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin';
