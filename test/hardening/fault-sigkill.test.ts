import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, spawnServer } from '../../bench/server-process';
import { loadDemoData } from '../../seeds/demo';
import { createTestStore, storeProcessEnv, TestStore } from '../helpers/store';
import { judgeOutcomes, sleep, startLoad } from './load';

/**
 * Issue 5, faults: the gateway process (`node dist/src/server.js`, as `npm start` runs it) is
 * killed with SIGKILL under load, twice, and started again on the same store. Every response a
 * client received with personal data has its audit records, and `npm run audit:verify` passes
 * over the chains of all three processes.
 */
jest.setTimeout(240_000);

const ROOT = REPO_ROOT;
const VERIFY = path.join(ROOT, 'dist', 'src', 'cli', 'audit-verify.js');

let store: TestStore;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The child runs the compiled gateway: compile what is in the tree now.
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  } catch (e) {
    throw new Error(`npm run build failed:\n${(e as { stdout?: Buffer }).stdout?.toString() ?? e}`);
  }
  store = await createTestStore();
  await loadDemoData(store.ds);
  env = storeProcessEnv(store);
});
afterAll(async () => { await store?.drop(); });

const start = () => spawnServer(env);

test('SIGKILL under load, twice: every response received with personal data is audited, and audit:verify passes', async () => {
  let current = await start();
  const load = startLoad(() => current.url);
  const kills: number[] = [];
  for (let round = 0; round < 2; round++) {
    await sleep(1500);
    const received = load.outcomes.length;
    current.child.kill('SIGKILL');
    expect(await current.exited).toBeNull(); // killed, not exited
    kills.push(received);
    current = await start();
  }
  await sleep(1500);
  await load.stop();
  await current.stop();

  const verdict = await judgeOutcomes(store.ds, load.outcomes);
  process.stdout.write(`\nSIGKILL ×2: ${load.outcomes.length} responses (${verdict.served} with personal data, ${verdict.records} categorised fields served and audited; ${verdict.unavailable} AUDIT_UNAVAILABLE, ${verdict.internal} INTERNAL), ${load.dropped} requests unanswered (cut off by a kill, or refused while the gateway was down)\n`);
  expect(verdict.problems).toEqual([]);
  // Load reached every one of the three processes.
  expect(kills[0]).toBeGreaterThan(0);
  expect(kills[1]).toBeGreaterThan(kills[0]);
  expect(load.outcomes.length).toBeGreaterThan(kills[1]);

  const { stdout } = await promisify(execFile)(process.execPath, [VERIFY], { cwd: ROOT, env });
  const m = /audit verified: (\d+) chain\(s\), (\d+) records, all intact/.exec(stdout);
  expect(m).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThanOrEqual(3);
  expect(Number(m![2])).toBeGreaterThanOrEqual(verdict.records);
});
