import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { now } from '../clock';
import { buildGatewaySchema } from '../graphql/schema';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../policy';
import { formatSweepReport, sweepPlan, sweepRetention } from '../rights/retention-sweep';
import { runCli, withStore } from './store';

function batchSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
}

/**
 * `npm run retention:sweep -- [--dry-run] [--batch N]`: removes (sets to NULL) the values past
 * their category's retention period (the policy's `retention:`), in batches, with a progress bar
 * on stderr, and prints per category how many values it removed. Counts only, never a value.
 */
const program = new Command('retention:sweep')
  .description("Remove the values past their category's retention period (the policy file's retention:) from the stores")
  .option('--dry-run', 'count what would be removed, write nothing')
  .option('--batch <n>', 'rows per batch', batchSize, 500)
  .action(async (o: { dryRun?: boolean; batch: number }) => {
    const policy = compilePolicy(loadPolicy(process.env.POLICY_FILE || defaultPolicyPath()));
    await withStore(async (ds) => {
      const plan = sweepPlan(ds, policy, buildGatewaySchema());
      const bar = new SingleBar({ format: 'rows {bar} {value}/{total} {percentage}% | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      try {
        const report = await sweepRetention(ds, plan, {
          at: now(),
          batchSize: o.batch,
          dryRun: !!o.dryRun,
          onStart: (total) => { bar.start(total, 0); started = true; },
          onProgress: (done) => bar.update(done),
        });
        bar.stop();
        process.stdout.write(formatSweepReport(report));
      } finally {
        if (started) bar.stop();
      }
    });
  });

runCli(async () => void (await program.parseAsync(process.argv)));
