import type { CopyReport } from '../../transfer/copier.js';
import type { Io } from '../command.js';

function cells(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

const n = (value: number) => value.toLocaleString('en-US');

/** The final report of `copy`: rows per table, conversions, rejects, time, verification (the rollback steps follow it). */
export function printReport(report: CopyReport, where: { from: string; to: string; dryRun: boolean }, io: Io): void {
  const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
  const header = ['table', 'rows', 'converted', 'coerced', 'filled', 'invalid', 'orphans', 'refused', 'seconds', 'status'];
  const rows = report.tables.map((t) => [
    t.table,
    n(t.rows),
    n(t.counts.converted),
    n(t.counts.coerced),
    n(t.counts.filled),
    n(t.counts.invalid),
    n(t.counts.orphans),
    n(t.counts.refused),
    t.seconds.toFixed(1),
    t.verify ? (t.status === 'verified' ? '' : `${t.status}, `) + (t.verify.equal ? 'verified' : 'DIFFERS') : t.source === null ? `${t.status} (not in source)` : t.status,
  ]);
  io.out(`${where.dryRun ? 'dry run (copied into a scratch database, thrown away; the target is untouched)' : 'copy'}: ${where.from} (${report.kind === 'legacy' ? 'older TeleClaude daemon' : 'teleclaude-persistence'}) -> ${where.to}`);
  for (const line of cells([header, ...rows])) io.out(line);
  io.out(`total: ${n(total)} rows in ${report.seconds.toFixed(1)} s (${n(Math.round(total / Math.max(report.seconds, 0.001)))} rows/s)`);
  for (const t of report.tables) {
    if (t.missingColumns.length) io.out(`  ${t.table}: source lacks ${t.missingColumns.join(', ')} (set to their defaults)`);
    if (t.ignoredColumns.length) io.out(`  ${t.table}: source columns ${t.ignoredColumns.join(', ')} have no place in the target (not copied)`);
    if (t.counts.ownersBackfilled) io.out(`  ${t.table}: owner set on ${n(t.counts.ownersBackfilled)} session(s)`);
    if (t.counts.filled) io.out(`  ${t.table}: ${n(t.counts.filled)} NULL or empty value(s) of NOT NULL columns filled with the column default (timestamps: the source's last write time)`);
  }
  if (report.ignoredTables.length) io.out(`source tables not copied (no counterpart): ${report.ignoredTables.join(', ')}`);
  if (report.rejects > 0) {
    const verb = where.dryRun ? 'the copy would make ' : '';
    io.out(
      `${n(report.rejects)} reject(s) ${verb}(orphans and rows the target refuses left out, unreadable values set to their default)${report.rejectPath ? `: see ${report.rejectPath}` : ''}`,
    );
    if (where.dryRun) {
      for (const r of report.rejectList) io.out(`  reject ${r.table} ${JSON.stringify(r.id)}${r.column ? ` ${r.column}` : ''}: ${r.reason}`);
      if (report.rejectList.length < report.rejects) io.out(`  ... and ${n(report.rejects - report.rejectList.length)} more`);
    }
  }
  if (report.verified !== undefined) {
    const bad = report.tables.filter((t) => t.verify && !t.verify.equal);
    io.out(report.verified ? 'verify: every table has the same rows and checksum on both sides' : `verify: FAILED for ${bad.map((t) => `${t.table} (source ${t.verify!.sourceRows} rows, target ${t.verify!.targetRows})`).join(', ')}`);
  }
}
