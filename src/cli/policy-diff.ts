import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import type { DataSource } from 'typeorm';
import { createProjection } from '../audit';
import { ClientRegistry } from '../callers/registry';
import { policyLedger } from '../db/entities/PolicyVersion';
import { loadCheckContext } from './check-context';
import { diffPolicies } from '../onboarding/policy-diff';
import { PolicyImpact, replayAudit } from '../onboarding/policy-impact';
import { policyReport, policyWarnings } from '../onboarding/policy-report';
import { compilePolicy, loadPolicy } from '../policy';
import { runCli, withStore } from './store';

export interface PolicyDiffCliDeps {
  withStore: <T>(fn: (ds: DataSource) => Promise<T>) => Promise<T>;
  out: (text: string) => void;
  /** Where the --impact progress bar goes (stderr); null for none. */
  progress: NodeJS.WritableStream | null;
  /** Where warnings go besides the report (stderr); default: stderr. */
  warn?: (text: string) => void;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/**
 * `policy:diff <old> <new> [--impact --days N]` (SPEC §10): the cells that change between two
 * policy files, with the clients registered for each purpose, and optionally how the audit of
 * the last N days would have been decided under the new file; Markdown on stdout.
 */
export function policyDiffProgram(deps: PolicyDiffCliDeps): Command {
  return new Command('policy:diff')
    .description('Review a policy change: the (purpose, category) cells that widen, narrow or change mask, as Markdown')
    .argument('<old>', 'the current policy file')
    .argument('<new>', 'the proposed policy file')
    .option('--impact', 'replay the audit of the last --days days under the new policy')
    .option('--days <n>', 'the window replayed by --impact', positive, 30)
    .action(async (oldFile: string, newFile: string, o: { impact?: boolean; days: number }) => {
      // The proposed file is validated as the gateway would validate it at start; the old one may predate this build's vocabulary.
      // Either may predate relationship scope (SPEC §11): without `scope:` keys, every purpose reads as `all`, as the gateway behaved.
      const before = compilePolicy(loadPolicy(oldFile, { checkVocabulary: false, requireScopes: false }));
      const after = loadCheckContext(newFile, { requireScopes: false }).policy;
      const diff = diffPolicies(before, after);
      // Scopes that refuse rows the old one returned: their disclosures are judged against the new scope.
      const scopes = new Map(diff.scopes.filter((c) => c.new !== 'all').map((c) => [c.purpose, c.new]));
      await deps.withStore(async (ds) => {
        const clients = await new ClientRegistry(ds, 0).list();
        let impact: { days: number; result: PolicyImpact } | undefined;
        if (o.impact) {
          const bar = deps.progress
            ? new SingleBar({ format: 'audit records {bar} {value}/{total} {percentage}% | {eta_formatted} left', stream: deps.progress, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic)
            : null;
          try {
            const result = await replayAudit(createProjection(ds), ds, after, { days: o.days, scopes, clients, onTotal: (total) => bar?.start(total, 0), onProgress: (done) => bar?.update(done) });
            impact = { days: o.days, result };
          } finally {
            bar?.stop();
          }
        }
        // A version that would lie (reused for other content, here or in this store's ledger) is flagged at the top and on stderr.
        const ledger = await policyLedger(ds);
        const warn = deps.warn ?? ((t: string) => void process.stderr.write(t));
        for (const w of policyWarnings({ diff, before, after, ledger })) warn(`policy:diff: ${w.replace(/`/g, '')}\n`);
        deps.out(policyReport({ diff, before, after, files: { old: oldFile, new: newFile }, clients, impact, ledger }));
      });
    });
}

if (require.main === module) {
  runCli(async () => void (await policyDiffProgram({ withStore, out: (t) => process.stdout.write(t), progress: process.stderr }).parseAsync(process.argv)));
}
