import { ChainReport, nameFirstBad } from './verify';

/** One line per chain, as `npm run audit:verify` prints it. */
export function describeChain(r: ChainReport): string {
  const head = r.headHash ? `head ${r.headHash.slice(0, 16)}…` : 'no head';
  if (r.ok) return `chain ${r.chainId}: ${r.length} records, ${head}: ok`;
  const b = r.firstBad!;
  return `chain ${r.chainId}: ${r.length} records, ${head}: FAILED at ${b.table === 'audit_batches' ? 'batch' : 'record'} id ${b.id ?? '-'} (seq ${b.seq}): ${b.problem}; ${b.detail}`;
}

/** The closing line: the verdict, naming the first bad batch or record of the first failing chain. */
export function describeVerdict(reports: ChainReport[]): { ok: boolean; line: string } {
  const bad = reports.find((r) => !r.ok);
  const records = reports.reduce((n, r) => n + r.length, 0);
  if (!bad) return { ok: true, line: `audit verified: ${reports.length} chain(s), ${records} records, all intact` };
  const b = bad.firstBad!;
  const failing = reports.filter((r) => !r.ok).length;
  return { ok: false, line: `audit verification FAILED (${failing} of ${reports.length} chain(s)): first bad ${b.table === 'audit_batches' ? 'batch' : 'record'} id ${b.id ?? '-'} (seq ${b.seq}) in chain ${bad.chainId}: ${b.problem}` };
}

export { nameFirstBad };
