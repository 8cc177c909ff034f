import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { now } from '../clock';
import { loadDemoData } from '../../seeds/demo';
import { generateUsers } from '../../seeds/generate';
import { runCli, withStore } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** The generator reports progress once per batch: at most 2000 users a batch, and at least 20 batches where that leaves 10 or more users in each. */
export function defaultBatchSize(users: number): number {
  return Math.min(2000, Math.max(10, Math.ceil(users / 20)));
}

interface Progress {
  update(done: number): void;
  stop(): void;
}

/**
 * Progress on stderr. On a terminal, a bar redrawn in place (at most every 100 ms); anywhere
 * else (a log file, CI, a pipe) one line each time another 5 % is done, so that the steps stay
 * visible without a line per batch.
 */
function progress(total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: 'users {bar} {value}/{total} {percentage}% | {eta_formatted} left', stream: process.stderr, fps: 20 }, Presets.shades_classic);
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  const started = Date.now();
  let shown = -1;
  const line = (done: number) => {
    const percent = Math.floor((done / total) * 100);
    if (shown >= 0 && percent < shown + 5 && done < total) return;
    shown = percent;
    process.stderr.write(`users ${done}/${total} ${percent}% | ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };
  line(0);
  return { update: line, stop: () => undefined };
}

const program = new Command('seed')
  .description('Load the demo data (--demo: the demo clients with their keys, users 1-5 and their relationships; docs/api.md, "Demo data") and/or N generated users for load tests (--users N)')
  .option('--demo', 'load the demo clients, keys and users (idempotent)')
  .option('--users <n>', 'add N generated users with devices, orders and consents', positive)
  .option('--batch <n>', 'users per transaction (default: N/20, between 10 and 2000, so that the progress moves in steps)', positive)
  .option('--orders-per-user <n>', 'orders per generated user', positive, 2)
  .action(async (opts: { demo?: boolean; users?: number; batch?: number; ordersPerUser: number }) => {
    if (!opts.demo && !opts.users) throw new Error('nothing to do: give --demo and/or --users N');
    await withStore(async (ds) => {
      if (opts.demo) process.stdout.write((await loadDemoData(ds, { asOf: now() })) ? 'demo data loaded\n' : 'demo data already present; nothing changed\n');
      if (opts.users) {
        const started = Date.now();
        const bar = progress(opts.users);
        try {
          await generateUsers(ds, opts.users, { batchSize: opts.batch ?? defaultBatchSize(opts.users), ordersPerUser: opts.ordersPerUser, onProgress: (d) => bar.update(d) });
        } finally {
          bar.stop();
        }
        process.stdout.write(`added ${opts.users} users in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      }
    });
  });

if (require.main === module) runCli(async () => void (await program.parseAsync(process.argv)));
