import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { createAudit } from '../../src/audit';
import { hashRecord } from '../../src/audit/hash';
import { ChainReport, listChains, verifyChains } from '../../src/audit/verify';
import { createTestStore, TestStore } from '../helpers/store';
import { allRecords, disclosure, manyRecords, tamper } from './fixtures';

/**
 * Tamper evidence (SPEC §6): verify walks every chain and names the first record changed,
 * removed or inserted, whichever way the tampering was done. Each case starts from a fresh
 * chain of 30 records written by the real writer, then edits it with raw SQL.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.drop();
});

let chains = 0;

/** A fresh chain (its own writer) of n records; returns its id and records. */
async function freshChain(ds: DataSource, n = 30) {
  const audit = createAudit(ds);
  const marker = `chain-${++chains}`;
  for (let i = 0; i < n; i += 10) await audit.commit(disclosure({ requestId: marker, records: manyRecords(10, 1 + (i % 3)) }));
  await audit.close();
  const [{ chain_id: chainId }] = await ds.query('SELECT chain_id FROM audit_events WHERE request_id = ? LIMIT 1', [marker]);
  const records = await allRecords(ds, 'chain_id = ?', [chainId]);
  expect(records).toHaveLength(n);
  return { chainId: String(chainId), records };
}

async function reportFor(chainId: string): Promise<ChainReport> {
  const reports = await verifyChains(store.ds, undefined, { pageSize: 7 }); // small pages: the walk crosses page boundaries
  const r = reports.find((x) => x.chainId === chainId);
  if (!r) throw new Error(`no report for ${chainId}`);
  return r;
}

/** Recompute a record's hash as an attacker with the code would, hiding an edit from a naive check. */
async function rehash(ds: DataSource, id: number): Promise<string> {
  const [r] = await allRecords(ds, 'id = ?', [id]);
  const hash = hashRecord(r.prevHash, r);
  await tamper(ds, 'UPDATE audit_events SET hash = ? WHERE id = ?', [hash, id]);
  return hash;
}

test('an untouched chain verifies, and the result is stamped on the chain', async () => {
  const { chainId, records } = await freshChain(store.ds);
  const r = await reportFor(chainId);
  expect(r).toEqual({ chainId, length: 30, headHash: records[29].hash, ok: true });
  const chain = (await listChains(store.ds)).find((c) => c.chainId === chainId)!;
  expect(chain).toMatchObject({ headSeq: 30, headHash: records[29].hash, lastVerifiedOk: true, lastVerifiedDetail: '30 records' });
  expect(chain.lastVerifiedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
});

describe('a changed record', () => {
  test('a field changed in place', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, "UPDATE audit_events SET client_id = 'someone-else' WHERE id = ?", [records[11].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: records[11].id, seq: 12, problem: 'changed' });
  });

  test('a field changed and its hash recomputed', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, "UPDATE audit_events SET decision = 'DENY' WHERE id = ?", [records[4].id]);
    await rehash(store.ds, records[4].id);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: records[4].id, seq: 5, problem: 'changed' });
  });

  test('the last record changed and rehashed: it no longer matches the chain head', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, "UPDATE audit_events SET purpose = 'account' WHERE id = ?", [records[29].id]);
    await rehash(store.ds, records[29].id);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: records[29].id, seq: 30, problem: 'head-mismatch' });
  });

  test('its time moved', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, "UPDATE audit_events SET at = '2020-01-01 00:00:00.000' WHERE id = ?", [records[0].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: records[0].id, seq: 1, problem: 'changed' });
  });
});

describe('a removed record', () => {
  test('from the middle', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[17].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ seq: 18, problem: 'removed', id: records[18].id });
  });

  test('the first one', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[0].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ seq: 1, problem: 'removed' });
  });

  test('from the end', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, 'DELETE FROM audit_events WHERE id IN (?, ?)', [records[28].id, records[29].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: null, seq: 29, problem: 'removed' });
  });

  test('removed and the later records renumbered to close the gap', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[9].id]);
    for (const r of records.slice(10)) await tamper(store.ds, 'UPDATE audit_events SET seq = seq - 1 WHERE id = ?', [r.id]);
    await tamper(store.ds, 'UPDATE audit_chains SET head_seq = 29 WHERE chain_id = ?', [chainId]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: records[10].id, seq: 10, problem: 'changed' });
  });
});

describe('an inserted record', () => {
  test('forged into the middle, well hashed, with the later records renumbered', async () => {
    const { chainId, records } = await freshChain(store.ds);
    for (const r of [...records.slice(20)].reverse()) await tamper(store.ds, 'UPDATE audit_events SET seq = seq + 1 WHERE id = ?', [r.id]);
    const forged = { ...records[19], seq: 21, requestId: 'forged', prevHash: records[19].hash };
    const hash = hashRecord(forged.prevHash, forged);
    await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
      category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT chain_id, 21, 'forged', at, client_id, purpose, case_ref,
      subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, ?, ? FROM audit_events WHERE id = ?`,
    [forged.prevHash, hash, records[19].id]);
    await tamper(store.ds, 'UPDATE audit_chains SET head_seq = 31 WHERE chain_id = ?', [chainId]);
    const [inserted] = await allRecords(store.ds, "request_id = 'forged'");
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: inserted.id, seq: 21, problem: 'inserted' });
  });

  test('appended past the head', async () => {
    const { chainId, records } = await freshChain(store.ds);
    await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
      category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT chain_id, 31, 'appended', at, client_id, purpose, case_ref,
      subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, hash, hash FROM audit_events WHERE id = ?`,
    [records[29].id]);
    const [appended] = await allRecords(store.ds, "request_id = 'appended'");
    expect((await reportFor(chainId)).firstBad).toMatchObject({ id: appended.id, seq: 31, problem: 'inserted' });
  });

  test('under a chain no writer registered', async () => {
    const { records } = await freshChain(store.ds, 10);
    await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
      category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT 'forgedchain', 1, 'stray', at, client_id, purpose, case_ref,
      subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash FROM audit_events WHERE id = ?`,
    [records[0].id]);
    const [stray] = await allRecords(store.ds, "request_id = 'stray'");
    expect((await reportFor('forgedchain'))).toMatchObject({ ok: false, length: 1, firstBad: { id: stray.id, seq: 1, problem: 'inserted' } });
  });
});

describe('npm run audit:verify', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const run = promisify(execFile);

  async function cli(s: TestStore): Promise<{ code: number; stdout: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: s.dataDir, SQLITE_FILE: path.basename(s.sqliteFile) };
    delete env.DATABASE_URL;
    if (s.databaseUrl) Object.assign(env, { DATABASE_URL: s.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
    try {
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli', 'audit-verify.js')], { env, cwd: ROOT, timeout: 60_000 });
      return { code: 0, stdout };
    } catch (e) {
      const err = e as { code?: number; stdout?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '' };
    }
  }

  test('exits 0 listing each chain when all verify; exits 1 naming the first bad record', async () => {
    const own = await createTestStore();
    try {
      const { chainId, records } = await freshChain(own.ds, 20);
      const ok = await cli(own);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`chain ${chainId}: 20 records`);
      expect(ok.stdout).toMatch(/all intact/);

      await tamper(own.ds, "UPDATE audit_events SET field = 'nickname' WHERE id = ?", [records[6].id]);
      const bad = await cli(own);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`first bad record id ${records[6].id} (seq 7) in chain ${chainId}: changed`);
    } finally {
      await own.drop();
    }
  });
});
