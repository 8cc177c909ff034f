import './quiet';
import 'reflect-metadata';
import { runInProcess } from './inprocess';
import { openBenchStore } from './store';

/**
 * `npm run bench`: every variant measured side by side in one run, reported as ratios.
 * BENCH_ROUNDS (default 30) rounds; BENCH_PHASES=inprocess,audit,console,onboarding,http selects phases.
 */
async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
  const phases = new Set((process.env.BENCH_PHASES ?? 'inprocess,audit,console,onboarding,http').split(','));
  const store = await openBenchStore();
  const out: string[] = [`# PurposeGate benchmark — ${new Date().toISOString()} — store: ${store.kind}, Node ${process.version}, ${rounds} rounds\n`];
  const say = (s: string) => { out.push(s); process.stdout.write(s + '\n'); };
  if (phases.has('inprocess')) {
    const r = await runInProcess(store, rounds);
    say('## In-process execute(): A = enforcement + audit, B = same schema without, C = plain graphql-js (median, p10–p90)\n');
    say(r.report);
    say(`\nPolicy decision per field: ${r.decisionNs.toFixed(1)} ns (target < 1000 ns)\n`);
  }
  if (phases.has('audit')) {
    const { runAuditPhase } = await import('./audit-phase');
    say(await runAuditPhase(store));
  }
  if (phases.has('console')) {
    const { runConsolePhase } = await import('./console-phase');
    say(await runConsolePhase(store));
  }
  if (phases.has('onboarding')) {
    const { runOnboardingPhase } = await import('./onboarding-phase');
    say(await runOnboardingPhase(store));
  }
  if (phases.has('http')) {
    const { runHttpPhase } = await import('./http-phase');
    say(await runHttpPhase(store));
  }
  if (phases.has('cluster')) {
    say(await (await import('./cluster-phase')).runClusterPhase(store));
  }
  await store.ds.destroy();
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const path = await import('node:path');
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `latest-${store.kind}.md`), out.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
