import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { loadDemoData } from '../../seeds/demo';
import { generateUsers } from '../../seeds/generate';
import { runCli, withStore } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

const program = new Command('seed')
  .description('Load the demo data of SPEC §8 (--demo) and/or N generated users for load tests (--users N)')
  .option('--demo', 'load the demo clients, keys and users (idempotent)')
  .option('--users <n>', 'add N generated users with devices, orders and consents', positive)
  .option('--batch <n>', 'users per transaction', positive, 2000)
  .option('--orders-per-user <n>', 'orders per generated user', positive, 2)
  .action(async (opts: { demo?: boolean; users?: number; batch: number; ordersPerUser: number }) => {
    if (!opts.demo && !opts.users) throw new Error('nothing to do: give --demo and/or --users N');
    await withStore(async (ds) => {
      if (opts.demo) process.stdout.write((await loadDemoData(ds)) ? 'demo data loaded\n' : 'demo data already present; nothing changed\n');
      if (opts.users) {
        const bar = new SingleBar({ format: 'users {bar} {value}/{total} {percentage}% | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
        const started = Date.now();
        bar.start(opts.users, 0);
        await generateUsers(ds, opts.users, { batchSize: opts.batch, ordersPerUser: opts.ordersPerUser, onProgress: (d) => bar.update(d) });
        bar.stop();
        process.stdout.write(`added ${opts.users} users in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      }
    });
  });

runCli(async () => void (await program.parseAsync(process.argv)));
