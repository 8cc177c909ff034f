import 'reflect-metadata';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditStore } from '../src/audit';
import { batchContent, ChainHead, EMPTY_HEAD } from '../src/audit/batch';
import { threadPoolSync } from '../src/audit/sqlite/wal';
import { openStore, sqliteConnection } from '../src/db/data-source';
import type { Disclosure, FieldRecord } from '../src/enforcement/disclosure';
import { quantile, table } from './stats';

/**
 * What an SQLite audit commit of one 1 000-record request costs at the least, part by part,
 * against one sync of the same file system (issue 21's unit), and what a store of the audit's own
 * (the encoded batch appended to a file and synced, nothing else) would cost on the same path:
 *
 *     npm run build && node dist/bench/commit-floor.js      # COMMIT_FLOOR_DIR, COMMIT_FLOOR_SAMPLES
 *
 * One commit at a time, paced at 20/s as the audit target's client is (after an idle gap a sync
 * costs more than back to back), on a fresh store in COMMIT_FLOOR_DIR (default: the OS's temporary
 * folder; give the gateway's data folder to measure its disk). The shipped store does the commit
 * (createAuditStore, its WAL synced off the event loop), its sync timed apart; the log is
 * checkpointed every 20 commits, as the gateway's projection worker does, so that it is reused
 * and not grown. The records are workload 4's shape (100 users × 10 categorised fields, seven
 * allowed and three masked in ten), made up, not read from a gateway: once without consent ids
 * (the risk engine's, as the bench's workload 4 runs) and once with one on every record.
 */

const SAMPLES = Number(process.env.COMMIT_FLOOR_SAMPLES ?? 200);
const PACE_MS = 50;
/** Ten fields and their categories, as a user page of workload 4 asks for them. */
const FIELDS: [string, FieldRecord['category']][] = [
  ['username', 'profile.basic'], ['nickname', 'profile.basic'], ['phone', 'contact.phone'], ['realName', 'identity.name'], ['birthDate', 'identity.birthdate'],
  ['city', 'contact.address'], ['address', 'contact.address'], ['gender', 'profile.extended'], ['avatar', 'profile.extended'], ['email', 'contact.phone'],
];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Workload 4's records (100 users × 10 fields) as the risk engine gets them (`consent` false: under
 * legitimate interest, no consent id), or as a partner releasing under consent would (a consent id
 * on every record, about twice the encoding).
 */
function workload4(consent: boolean): Disclosure {
  const records: FieldRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    const user = 1 + Math.floor(i / 10);
    const masked = i % 10 >= 7;
    const [field, category] = FIELDS[i % 10];
    records.push({ subjectId: user, entity: 'User', entityId: String(user), field, category, decision: masked ? 'MASK' : 'ALLOW', mask: masked ? 'PHONE' : null, reason: masked ? 'POLICY_MASKS' : 'POLICY_ALLOWS', basis: consent ? 'consent' : 'legitimate-interest', consentId: consent ? String(1000 + user) : null });
  }
  return { records, requestId: 'commit-floor', clientId: 'risk-engine', purpose: 'security.risk-control', caseRef: null, policy: { version: 'bench' }, at: new Date() } as unknown as Disclosure;
}

async function measure(consent: boolean): Promise<void> {
  const dir = path.join(process.env.COMMIT_FLOOR_DIR ?? tmpdir(), `purposegate-commit-floor-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const ds = await openStore({ sqliteFile: path.join(dir, 'floor.sqlite') });
  let syncMs = 0;
  const store = createAuditStore(ds, { logSync: async (fd) => { const t = performance.now(); await threadPoolSync(fd); syncMs = performance.now() - t; } });
  const own = openSync(path.join(dir, 'own-log.bin'), 'w');
  const probe = openSync(path.join(dir, 'probe.bin'), 'w');
  const block = Buffer.alloc(16 * 1024, 7);
  const d = workload4(consent);
  const parts = { encode: [] as number[], transaction: [] as number[], walSync: [] as number[], commit: [] as number[], ownFile: [] as number[], oneSync: [] as number[] };
  let chain: { registered: boolean; head: ChainHead } = { registered: false, head: EMPTY_HEAD };
  try {
    for (let i = 0; i < SAMPLES; i++) {
      if (i % 20 === 0) sqliteConnection(ds).pragma('wal_checkpoint(PASSIVE)');
      await pause(PACE_MS);
      (d as { requestId: string }).requestId = `commit-floor-${i}`;
      let t = performance.now();
      const content = batchContent(d);
      const encoded = performance.now() - t;
      t = performance.now();
      const { head } = await store.append('commit-floor', new Date().toISOString(), chain, [content]);
      const appended = performance.now() - t;
      chain = { registered: true, head };
      parts.encode.push(encoded);
      parts.walSync.push(syncMs);
      parts.transaction.push(appended - syncMs);
      parts.commit.push(encoded + appended);

      await pause(PACE_MS);
      t = performance.now();
      writeSync(own, batchContent(d).records);
      fdatasyncSync(own);
      parts.ownFile.push(performance.now() - t);

      await pause(PACE_MS);
      writeSync(probe, block);
      t = performance.now();
      fdatasyncSync(probe);
      parts.oneSync.push(performance.now() - t);
    }
  } finally {
    closeSync(own);
    closeSync(probe);
    await store.close?.();
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const unit = quantile(parts.oneSync, 0.5);
  const what: Record<keyof typeof parts, string> = {
    encode: 'encoding the batch (on the request\'s path)',
    transaction: 'sealing and the SQLite transaction (event loop)',
    walSync: 'fdatasync of the log (thread pool)',
    commit: 'the commit as shipped: encoding + transaction + sync',
    ownFile: 'a store of its own: encoding + append + fdatasync',
    oneSync: 'one sync: fdatasync after a 16 KiB append',
  };
  const ms = (x: number) => x.toFixed(3);
  process.stdout.write(`\n${SAMPLES} commits of ${d.records.length} records ${consent ? 'under consent' : 'without consent ids'} (${batchContent(d).records.length} characters encoded), paced at ${1000 / PACE_MS}/s, in ${path.dirname(dir)}\n\n`);
  process.stdout.write(table(['part', 'p50 ms', 'p90 ms', 'p50 × one sync'], (Object.keys(parts) as (keyof typeof parts)[]).map((k) => [what[k], ms(quantile(parts[k], 0.5)), ms(quantile(parts[k], 0.9)), (quantile(parts[k], 0.5) / unit).toFixed(2)])) + '\n');
}

async function main(): Promise<void> {
  await measure(false);
  await measure(true);
}

main().catch((e: unknown) => {
  process.stderr.write(`commit-floor: ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 1;
});
