import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { AnchorFileError, anchorsFrom, checkAnchors, HeadAnchors, parseAnchors } from '../audit/anchors';
import { now } from '../clock';
import { verifyChains } from '../audit/verify';
import { describeChain, describeVerdict } from '../audit/verify-report';
import { policyLedger } from '../db/entities/PolicyVersion';
import { parseStampedVersion } from '../policy';
import { runCli, withStore } from './store';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** One policy version as the audit carries it, and whether the store's ledger vouches for it. */
export interface PolicyVersionUse {
  /** As stamped: `2026-12-02.1+3f9a2c1d`, or a legacy `2026-12-02.1`. */
  readonly version: string;
  /** `known`: the ledger holds its hash for its declared version; `unknown`: it does not; `legacy`: written before versions carried a hash. */
  readonly status: 'known' | 'unknown' | 'legacy';
  /** What the ledger holds for its declared version, when it is not this hash. */
  readonly ledgerHash: string | null;
  readonly batches: number;
  /** Rows of audit_events (the projection, and chains written record by record). */
  readonly records: number;
  readonly firstBatchId: number | null;
  readonly firstRecordId: number | null;
}

/**
 * Every policy version the audit carries (audit_batches and audit_events), against the store's
 * ledger of versions (issue #22): a hash the ledger does not hold for its version was stamped
 * by a policy no gateway of this store started with (or the row was forged). Versions without a
 * hash predate the ledger: reported, not failed.
 */
export async function checkPolicyVersions(ds: DataSource): Promise<PolicyVersionUse[]> {
  const ledger = await policyLedger(ds);
  const uses = new Map<string, { batches: number; records: number; firstBatchId: number | null; firstRecordId: number | null }>();
  const use = (v: string) => uses.get(v) ?? uses.set(v, { batches: 0, records: 0, firstBatchId: null, firstRecordId: null }).get(v)!;
  for (const row of await ds.query('SELECT policy_version AS v, COUNT(*) AS n, MIN(id) AS first FROM audit_batches GROUP BY policy_version')) {
    Object.assign(use(String(row.v)), { batches: Number(row.n), firstBatchId: Number(row.first) });
  }
  for (const row of await ds.query('SELECT policy_version AS v, COUNT(*) AS n, MIN(id) AS first FROM audit_events GROUP BY policy_version')) {
    Object.assign(use(String(row.v)), { records: Number(row.n), firstRecordId: Number(row.first) });
  }
  return [...uses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([version, u]) => {
    const { declared, hash } = parseStampedVersion(version);
    const recorded = ledger.get(declared) ?? null;
    const status = hash === null ? 'legacy' : recorded === hash ? 'known' : 'unknown';
    return { version, status, ledgerHash: status === 'unknown' ? recorded : null, ...u };
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line per policy version, then the verdict; ok unless some version's hash is not in the ledger. */
export function describePolicyVersions(uses: readonly PolicyVersionUse[]): { ok: boolean; lines: string[] } {
  const lines = uses.map((u) => {
    const where = `${plural(u.batches, 'batch', 'batches')}, ${plural(u.records, 'record')}`;
    if (u.status === 'known') return `policy version ${u.version}: ${where}: in the ledger`;
    if (u.status === 'legacy') return `policy version ${u.version}: ${where}: legacy (no hash), not checked`;
    const first = [u.firstBatchId !== null ? `first batch id ${u.firstBatchId}` : null, u.firstRecordId !== null ? `first record id ${u.firstRecordId}` : null].filter(Boolean).join(', ');
    const declared = parseStampedVersion(u.version).declared;
    const ledger = u.ledgerHash === null ? `the ledger has no version ${declared}` : `the ledger has ${declared} with hash ${u.ledgerHash}`;
    return `policy version ${u.version}: ${where}: NOT IN THE LEDGER (${ledger}); ${first}`;
  });
  const unknown = uses.filter((u) => u.status === 'unknown');
  const legacy = uses.filter((u) => u.status === 'legacy').length;
  const legacyNote = legacy ? `, ${plural(legacy, 'legacy version')} without a hash` : '';
  if (!unknown.length) return { ok: true, lines: [...lines, `policy versions: ${uses.length - legacy} stamped, all in the ledger${legacyNote}`] };
  return { ok: false, lines: [...lines, `policy version check FAILED: ${unknown.length} of ${uses.length - legacy} stamped version(s) not in the ledger: ${unknown.map((u) => u.version).join(', ')}${legacyNote}`] };
}

/** The heads anchored in `file` against the chains now (none anchored yet: nothing to compare). */
async function checkHeadsFile(ds: DataSource, file: string): Promise<{ ok: boolean; lines: string[] }> {
  if (!existsSync(file)) return { ok: true, lines: [`heads: ${file} does not exist yet; nothing anchored to compare`] };
  let anchors;
  try {
    anchors = parseAnchors(readFileSync(file, 'utf8'), file);
  } catch (e) {
    return { ok: false, lines: [`heads check FAILED: ${e instanceof AnchorFileError ? e.message : `${file} cannot be read`}`] };
  }
  const problems = await checkAnchors(ds, anchors);
  if (!problems.length) return { ok: true, lines: [`heads: all ${anchors.chains.length} chain(s) anchored at ${anchors.at} still hold their heads`] };
  return {
    ok: false,
    lines: [
      ...problems.map((p) => `chain ${p.chainId}: ${p.problem.toUpperCase()}: ${p.detail}`),
      `heads check FAILED: ${problems.length} of ${anchors.chains.length} chain(s) anchored at ${anchors.at} no longer hold their heads`,
    ],
  };
}

/** Replace the heads file whole (written beside it, then renamed), so that a crash leaves the old one. */
function writeAnchors(file: string, anchors: HeadAnchors): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(anchors, null, 2) + '\n');
  renameSync(tmp, file);
}

const program = new Command('audit:verify')
  .description('Check every audit hash chain completely, and every record\'s policy version against the ledger; exit 1 naming the first record changed, removed or inserted, or the versions not in the ledger')
  .option('--page-size <n>', 'records read per query', positive, 2000)
  .option('--no-record', 'do not stamp the outcome on the chains (last_verified_*)')
  .option('--heads <file>', 'chain heads kept outside the database: fail if a chain anchored there was cut back, rewritten or removed; after a run that passes, anchor the heads verified in it')
  .action(async (opts: { pageSize: number; record: boolean; heads?: string }) => {
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
      // Then what each record says it was decided under: a version the ledger does not vouch for.
      const versions = describePolicyVersions(await checkPolicyVersions(ds));
      for (const line of versions.lines) process.stdout.write(line + '\n');
      if (!opts.heads) return verdict.ok && versions.ok;
      const anchored = await checkHeadsFile(ds, opts.heads);
      for (const line of anchored.lines) process.stdout.write(line + '\n');
      const ok = verdict.ok && versions.ok && anchored.ok;
      if (ok) {
        writeAnchors(opts.heads, anchorsFrom(reports, now()));
        process.stdout.write(`heads anchored in ${opts.heads}: ${reports.filter((r) => r.length > 0).length} chain(s)\n`);
      }
      return ok;
    });
    if (!ok) process.exitCode = 1;
  });

if (require.main === module) runCli(async () => void (await program.parseAsync(process.argv)));
