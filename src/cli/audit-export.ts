import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createProjection } from '../audit';
import { EXPORT_FORMATS, ExportFormat } from '../audit/encode';
import { countRecords, exportRecords } from '../audit/export';
import { parseAuditFilter } from '../audit/filter';
import { log } from '../log';
import { runCli, withStore, writeOut } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/**
 * The file --out names, written beside it and renamed into place when complete (a failure leaves
 * no file, not half of one); mode 0600, since it says whose data went where.
 */
function openOutput(target: string): { write: (chunk: string) => void; commit: () => void; abandon: () => void } {
  const file = path.resolve(target);
  const partial = `${file}.${process.pid}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, 'wx', 0o600);
  } catch (e) {
    throw new Error(`cannot write ${JSON.stringify(target)} (${(e as { code?: string })?.code ?? 'unknown error'})`);
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    write: (chunk) => void writeSync(fd, chunk),
    commit: () => {
      close();
      renameSync(partial, file);
    },
    abandon: () => {
      try { close(); } catch { /* already closed */ }
      try { unlinkSync(partial); } catch { /* already gone */ }
    },
  };
}

const HELP_AFTER = `
stdout carries only the export (CSV with its header line first, or one JSON object a line);
the progress bar and the summary go to stderr. Through npm, use \`npm run -s\` (silent), or npm
prints its own "> purposegate@… audit:export" banner on stdout ahead of the export:

  npm run -s audit:export -- --subject 1 --format csv > subject-1.csv
  npm run audit:export -- --subject 1 --format csv --out subject-1.csv

Record fields and formats: docs/api.md, "Audit records".`;

const program = new Command('audit:export')
  .description("Export a subject's audit records as CSV or NDJSON, oldest first, to stdout or to --out FILE (progress on stderr)")
  .requiredOption('--subject <id>', 'the data subject (user id)')
  .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS as string[]).makeOptionMandatory())
  .option('--out <file>', 'write the export to this file instead of stdout (mode 0600, complete or not at all; an existing file is replaced)')
  .option('--from <iso>', 'records at or after this time (ISO-8601 date or date-time with zone)')
  .option('--to <iso>', 'records before this time')
  .option('--page-size <n>', 'records read per query', positive, 1000)
  .addHelpText('after', HELP_AFTER)
  .action(async (opts: { subject: string; format: ExportFormat; out?: string; from?: string; to?: string; pageSize: number }) => {
    const q = parseAuditFilter({ subjectId: opts.subject, from: opts.from, to: opts.to });
    const file = opts.out ? openOutput(opts.out) : null; // refused now, before anything is read
    // pino writes to stdout: while stdout is the export, the operations log stays out of it.
    if (!file) log.level = 'silent';
    let done = false;
    try {
      await withStore(async (ds) => {
        const audit = createProjection(ds); // this process's own: it projects what is pending itself
        const total = await countRecords(audit, ds, q);
        const bar = new SingleBar({ format: 'export {bar} {value}/{total} records | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
        bar.start(total, 0);
        let written: number;
        try {
          written = await exportRecords(audit, ds, q, opts.format, file ? file.write : writeOut, { pageSize: opts.pageSize, onProgress: (n) => {
            if (n > total) bar.setTotal(n); // records committed since the count
            bar.update(n);
          } });
        } finally {
          bar.stop(); // also when stdout's reader went away: the bar's timer would keep the process alive
        }
        file?.commit();
        done = true;
        process.stderr.write(`exported ${written} records of subject ${q.subjectId}${opts.out ? ` to ${opts.out}` : ''}\n`);
      });
    } finally {
      if (!done) file?.abandon();
    }
  });

runCli(async () => void (await program.parseAsync(process.argv)));
