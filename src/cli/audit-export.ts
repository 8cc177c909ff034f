import { once } from 'node:events';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXPORT_FORMATS, ExportFormat } from '../audit/encode';
import { countRecords, exportRecords } from '../audit/export';
import { parseAuditFilter } from '../audit/filter';
import { runCli, withStore } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** stdout with back-pressure: wait for 'drain' rather than buffer a whole export in memory. */
function writeStdout(chunk: string): void | Promise<void> {
  if (!process.stdout.write(chunk)) return once(process.stdout, 'drain').then(() => undefined);
}

const program = new Command('audit:export')
  .description("Stream a subject's audit records to stdout as CSV or NDJSON, oldest first (progress on stderr)")
  .requiredOption('--subject <id>', 'the data subject (user id)')
  .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS as string[]).makeOptionMandatory())
  .option('--from <iso>', 'records at or after this time (ISO-8601 date or date-time with zone)')
  .option('--to <iso>', 'records before this time')
  .option('--page-size <n>', 'records read per query', positive, 1000)
  .action(async (opts: { subject: string; format: ExportFormat; from?: string; to?: string; pageSize: number }) => {
    const q = parseAuditFilter({ subjectId: opts.subject, from: opts.from, to: opts.to });
    // A closed pipe (`| head`) ends the export quietly.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
    await withStore(async (ds) => {
      const total = await countRecords(ds, q);
      const bar = new SingleBar({ format: 'export {bar} {value}/{total} records | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      bar.start(total, 0);
      const written = await exportRecords(ds, q, opts.format, writeStdout, { pageSize: opts.pageSize, onProgress: (n) => {
        if (n > total) bar.setTotal(n); // records committed since the count
        bar.update(n);
      } });
      bar.stop();
      process.stderr.write(`exported ${written} records of subject ${q.subjectId}\n`);
    });
  });

runCli(async () => void (await program.parseAsync(process.argv)));
