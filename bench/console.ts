import './quiet';
import 'reflect-metadata';
import { runConsolePhase } from './console-phase';
import { openBenchStore } from './store';

/** `node dist/bench/console.js`: the console's aggregation alone (`npm run bench` runs it as the "console" phase). */
openBenchStore()
  .then(async (store) => {
    process.stdout.write((await runConsolePhase(store)) + '\n');
    await store.ds.destroy();
  })
  .catch((e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
