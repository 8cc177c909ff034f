import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { verifyChains } from '../audit/verify';
import { describeChain, describeVerdict } from '../audit/verify-report';
import { runCli, withStore } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

const program = new Command('audit:verify')
  .description('Check every audit hash chain completely; exit 1 naming the first record changed, removed or inserted')
  .option('--page-size <n>', 'records read per query', positive, 2000)
  .option('--no-record', 'do not stamp the outcome on the chains (last_verified_*)')
  .action(async (opts: { pageSize: number; record: boolean }) => {
    const ok = await withStore(async (ds) => {
      const bar = new SingleBar({ format: 'verify {bar} {value}/{total} records | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      const reports = await verifyChains(ds, (p) => {
        if (!started) bar.start(p.total, 0);
        started = true;
        bar.update(p.checked);
      }, { pageSize: opts.pageSize, record: opts.record });
      if (started) bar.stop();
      for (const r of reports) process.stdout.write(describeChain(r) + '\n');
      const verdict = describeVerdict(reports);
      process.stdout.write(verdict.line + '\n');
      return verdict.ok;
    });
    if (!ok) process.exitCode = 1;
  });

runCli(async () => void (await program.parseAsync(process.argv)));
