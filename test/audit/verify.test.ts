import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { createAudit, createAuditStore } from '../../src/audit';
import { inflateSync } from 'node:zlib';
import { DEFLATE_FROM_CHARS, deflateRecords, hashBatch, SealedBatch, storedRecordsJson } from '../../src/audit/batch';
import { BATCH_COLUMNS, batchParams, toDbTime } from '../../src/audit/columns';
import { GENESIS_HASH, hashRecord, sealRecords } from '../../src/audit/hash';
import { auditFacts } from '../../src/audit/record';
import { AuditWriter } from '../../src/audit/writer';
import { ChainReport, listChains, verifyChains } from '../../src/audit/verify';
import { createTestStore, TestStore } from '../helpers/store';
import { recordPolicyVersion } from '../../src/db/entities/PolicyVersion';
import { allBatches, allRecords, disclosure, manyRecords, policy, tamper } from './fixtures';

/**
 * Tamper evidence (SPEC §6): verify walks every chain — its batches (audit_batches, the record
 * the responses waited for) and their projection (audit_events) — and names the first batch or
 * record changed, removed or inserted, whichever way the tampering was done. Each case starts
 * from a fresh chain of 3 batches × 10 records written (and projected) by the real writer, then
 * edits it with raw SQL.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.drop();
});

let chains = 0;

/** A fresh chain (its own writer) of n records in batches of 10; returns its id, batches and records. */
async function freshChain(ds: DataSource, n = 30) {
  const audit = createAudit(ds);
  const marker = `chain-${++chains}`;
  for (let i = 0; i < n; i += 10) await audit.commit(disclosure({ requestId: marker, records: manyRecords(10, 1 + (i % 3)) }));
  await audit.close(); // commits and projects
  const [{ chain_id: chainId }] = await ds.query('SELECT chain_id FROM audit_batches WHERE request_id = ? LIMIT 1', [marker]);
  const batches = await allBatches(ds, 'chain_id = ?', [chainId]);
  const records = await allRecords(ds, 'chain_id = ?', [chainId]);
  expect(batches).toHaveLength(n / 10);
  expect(records).toHaveLength(n);
  return { chainId: String(chainId), batches, records };
}

async function reportFor(chainId: string): Promise<ChainReport> {
  const reports = await verifyChains(store.ds, undefined, { pageSize: 7 }); // small pages: the walk crosses page boundaries
  const r = reports.find((x) => x.chainId === chainId);
  if (!r) throw new Error(`no report for ${chainId}`);
  return r;
}

/** Write a batch row as given (an attacker with the code computes its hash as the writer would). */
async function insertBatch(ds: DataSource, b: SealedBatch): Promise<number> {
  const params: unknown[] = [];
  batchParams(b, params);
  await tamper(ds, `INSERT INTO audit_batches (${BATCH_COLUMNS.join(', ')}) VALUES (${BATCH_COLUMNS.map(() => '?').join(', ')})`, params);
  const [row] = await ds.query('SELECT id FROM audit_batches WHERE chain_id = ? AND seq = ?', [b.chainId, b.seq]);
  return Number(row.id);
}

async function rehashBatch(ds: DataSource, id: number): Promise<void> {
  const [b] = await allBatches(ds, 'id = ?', [id]);
  await tamper(ds, 'UPDATE audit_batches SET hash = ? WHERE id = ?', [hashBatch(b.prevHash, b), id]);
}

test('an untouched chain verifies, batches and projection, and the result is stamped on the chain', async () => {
  const { chainId, batches } = await freshChain(store.ds);
  const r = await reportFor(chainId);
  expect(r).toEqual({ chainId, length: 30, batches: 3, headHash: batches[2].hash, ok: true });
  const chain = (await listChains(store.ds)).find((c) => c.chainId === chainId)!;
  expect(chain).toMatchObject({ headSeq: 30, headBatch: 3, projectedSeq: 30, headHash: batches[2].hash, lastVerifiedOk: true, lastVerifiedDetail: '30 records' });
  expect(chain.lastVerifiedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test('committed batches not yet projected verify on their own; tampering with them is caught all the same', async () => {
  const writer = new AuditWriter(createAuditStore(store.ds)); // no projection behind it
  await writer.commit(disclosure({ requestId: 'unprojected', records: manyRecords(10) }));
  await writer.commit(disclosure({ requestId: 'unprojected', records: manyRecords(5) }));
  await writer.close();
  expect(await reportFor(writer.chainId)).toMatchObject({ ok: true, length: 15 });
  const [first] = await allBatches(store.ds, 'chain_id = ?', [writer.chainId]);
  await tamper(store.ds, "UPDATE audit_batches SET purpose = 'account' WHERE id = ?", [first.id]);
  expect((await reportFor(writer.chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: first.id, seq: 1, problem: 'changed' });
});

describe('large batches, stored deflated', () => {
  /** A chain of two 300-record batches (each ~10 KB of JSON, past DEFLATE_FROM_CHARS), deflated on either store. */
  async function largeChain() {
    const audit = createAudit(store.ds, { deflateFromChars: DEFLATE_FROM_CHARS });
    const marker = `large-${++chains}`;
    for (let i = 0; i < 2; i++) await audit.commit(disclosure({ requestId: marker, records: manyRecords(300, 7) }));
    await audit.close();
    const [{ chain_id: chainId }] = await store.ds.query('SELECT chain_id FROM audit_batches WHERE request_id = ? LIMIT 1', [marker]);
    const batches = await allBatches(store.ds, 'chain_id = ?', [chainId]);
    return { chainId: String(chainId), batches };
  }

  test('stored as "z" + base64 of MySQL\'s COMPRESS() format, under half the JSON; projected and verified like any other', async () => {
    const { chainId, batches } = await largeChain();
    for (const b of batches) {
      expect(b.records.length).toBeGreaterThan(DEFLATE_FROM_CHARS);
      expect(b.stored).toMatch(/^z[A-Za-z0-9+/]+=*$/);
      expect(b.stored!.length).toBeLessThan(b.records.length / 2);
      expect(storedRecordsJson(b.stored!)).toBe(b.records);
      expect(hashBatch(b.prevHash, b)).toBe(b.hash); // the hash covers the JSON
      const bytes = Buffer.from(b.stored!.slice(1), 'base64');
      expect(bytes.readUInt32LE(0)).toBe(Buffer.byteLength(b.records));
      expect(inflateSync(bytes.subarray(4)).toString()).toBe(b.records);
    }
    expect(await reportFor(chainId)).toMatchObject({ ok: true, length: 600 });
    const rows = await allRecords(store.ds, 'chain_id = ?', [chainId]);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
  });

  test('its stored bytes damaged: the batch is named', async () => {
    const { chainId, batches } = await largeChain();
    const s = batches[0].stored!;
    const at = Math.floor(s.length / 2);
    await tamper(store.ds, 'UPDATE audit_batches SET records = ? WHERE id = ?', [s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1), batches[0].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[0].id, seq: 1, problem: 'changed' });
  });

  test('a record changed and deflated again as the writer would: the hash names the batch', async () => {
    const { chainId, batches } = await largeChain();
    const forged = deflateRecords(batches[1].records.replace('"A"', '"D"'));
    await tamper(store.ds, 'UPDATE audit_batches SET records = ? WHERE id = ?', [forged, batches[1].id]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[1].id, seq: 2, problem: 'changed', detail: 'its content does not match its hash' });
  });
});

describe('the chain of batches (audit_batches)', () => {
  describe('a changed batch', () => {
    test('a header field changed in place', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_batches SET client_id = 'someone-else' WHERE id = ?", [batches[1].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[1].id, seq: 2, problem: 'changed', detail: 'its content does not match its hash' });
    });

    test('a record inside it changed (a decision turned into another)', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'UPDATE audit_batches SET records = ? WHERE id = ?', [batches[0].records.replace('"D"', '"A"'), batches[0].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[0].id, seq: 1, problem: 'changed' });
    });

    test('changed and its hash recomputed: the next batch\'s link names it', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_batches SET purpose = 'account' WHERE id = ?", [batches[0].id]);
      await rehashBatch(store.ds, batches[0].id);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[0].id, seq: 1, problem: 'changed', detail: expect.stringContaining(`link in batch ${batches[1].id}`) });
    });

    test('the last batch changed and rehashed: it no longer matches the chain head', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_batches SET at = '2020-01-01 00:00:00.000' WHERE id = ?", [batches[2].id]);
      await rehashBatch(store.ds, batches[2].id);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[2].id, seq: 3, problem: 'head-mismatch' });
    });

    test('its records renumbered (first_seq) and rehashed, the chain after it too, and the head: the numbering gives it away', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      let prevHash = batches[0].hash;
      for (const b of batches.slice(1)) {
        const moved = { ...b, firstSeq: b.firstSeq + 5, prevHash };
        prevHash = moved.hash = hashBatch(prevHash, moved);
        await tamper(store.ds, 'UPDATE audit_batches SET first_seq = ?, prev_hash = ?, hash = ? WHERE id = ?', [moved.firstSeq, moved.prevHash, moved.hash, b.id]);
      }
      await tamper(store.ds, 'UPDATE audit_chains SET head_seq = 35, head_hash = ? WHERE chain_id = ?', [prevHash, chainId]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[1].id, seq: 2, problem: 'changed', detail: expect.stringContaining('numbered from 16') });
    });
  });

  describe('a removed batch', () => {
    test('from the middle', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_batches WHERE id = ?', [batches[1].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', seq: 2, problem: 'removed', id: batches[2].id });
    });

    test('the first one', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_batches WHERE id = ?', [batches[0].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', seq: 1, problem: 'removed', id: batches[1].id });
    });

    test('from the end', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_batches WHERE id = ?', [batches[2].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: null, seq: 3, problem: 'removed' });
    });

    test('removed and the later batches renumbered to close the gap', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_batches WHERE id = ?', [batches[1].id]);
      await tamper(store.ds, 'UPDATE audit_batches SET seq = seq - 1 WHERE id = ?', [batches[2].id]);
      await tamper(store.ds, 'UPDATE audit_chains SET head_batch = 2, head_seq = 20 WHERE chain_id = ?', [chainId]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id: batches[2].id, seq: 2, problem: 'changed' });
    });
  });

  describe('an inserted batch', () => {
    test('forged into the middle, well hashed, with the later batches renumbered and the head moved', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      await tamper(store.ds, 'UPDATE audit_batches SET seq = 4 WHERE id = ?', [batches[2].id]);
      const forged: SealedBatch = { ...batches[1], seq: 3, firstSeq: 21, requestId: 'forged', prevHash: batches[1].hash, hash: '' };
      forged.hash = hashBatch(forged.prevHash, forged);
      const id = await insertBatch(store.ds, forged);
      await tamper(store.ds, 'UPDATE audit_chains SET head_batch = 4, head_seq = 40 WHERE chain_id = ?', [chainId]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id, seq: 3, problem: 'inserted', detail: expect.stringContaining('links past it') });
    });

    test('appended past the head', async () => {
      const { chainId, batches } = await freshChain(store.ds);
      const appended: SealedBatch = { ...batches[2], seq: 4, firstSeq: 31, requestId: 'appended', prevHash: batches[2].hash, hash: '' };
      appended.hash = hashBatch(appended.prevHash, appended);
      const id = await insertBatch(store.ds, appended);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_batches', id, seq: 4, problem: 'inserted', detail: expect.stringContaining('past the chain head') });
    });

    test('under a chain no writer registered', async () => {
      const { batches } = await freshChain(store.ds, 10);
      const id = await insertBatch(store.ds, { ...batches[0], chainId: 'forgedbatches' });
      expect(await reportFor('forgedbatches')).toMatchObject({ ok: false, length: 1, firstBad: { table: 'audit_batches', id, seq: 1, problem: 'inserted' } });
    });
  });
});

describe('the projection (audit_events), against the batches', () => {
  describe('a changed record', () => {
    test('a field changed in place', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_events SET client_id = 'someone-else' WHERE id = ?", [records[11].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: records[11].id, seq: 12, problem: 'changed', detail: expect.stringContaining('client_id') });
    });

    test('a decision changed and the row "rehashed" as a record chain once was: rows are checked against their batch, not their own hash', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_events SET decision = 'DENY', mask = NULL WHERE id = ?", [records[4].id]);
      await tamper(store.ds, 'UPDATE audit_events SET hash = ? WHERE id = ?', [hashRecord(records[4].prevHash, { ...records[4], decision: 'DENY', mask: null }), records[4].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: records[4].id, seq: 5, problem: 'changed' });
    });

    test('the last record changed', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_events SET purpose = 'account' WHERE id = ?", [records[29].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: records[29].id, seq: 30, problem: 'changed', detail: expect.stringContaining('purpose') });
    });

    test('its time moved', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, "UPDATE audit_events SET at = '2020-01-01 00:00:00.000' WHERE id = ?", [records[0].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: records[0].id, seq: 1, problem: 'changed', detail: expect.stringContaining('at') });
    });
  });

  describe('a removed record', () => {
    test('from the middle', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[17].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', seq: 18, problem: 'removed', id: records[18].id });
    });

    test('the first one', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[0].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', seq: 1, problem: 'removed', id: records[1].id });
    });

    test('from the end', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_events WHERE id IN (?, ?)', [records[28].id, records[29].id]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: null, seq: 29, problem: 'removed' });
    });

    test('a whole request\'s records', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_events WHERE chain_id = ? AND seq BETWEEN 11 AND 20', [chainId]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', seq: 11, problem: 'removed', id: records[20].id });
    });

    test('removed, the later records renumbered to close the gap and the progress moved back', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, 'DELETE FROM audit_events WHERE id = ?', [records[9].id]);
      for (const r of records.slice(10)) await tamper(store.ds, 'UPDATE audit_events SET seq = seq - 1 WHERE id = ?', [r.id]);
      await tamper(store.ds, 'UPDATE audit_projection_progress SET projected_seq = 29 WHERE chain_id = ?', [chainId]);
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: records[10].id, seq: 10, problem: 'changed' });
    });
  });

  describe('an inserted record', () => {
    test('forged into the middle, with the later records renumbered and the progress moved', async () => {
      const { chainId, records } = await freshChain(store.ds);
      for (const r of [...records.slice(20)].reverse()) await tamper(store.ds, 'UPDATE audit_events SET seq = seq + 1 WHERE id = ?', [r.id]);
      await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
        category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT chain_id, 21, 'forged', at, client_id, purpose, case_ref,
        subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash FROM audit_events WHERE id = ?`,
      [records[19].id]);
      await tamper(store.ds, 'UPDATE audit_projection_progress SET projected_seq = 31 WHERE chain_id = ?', [chainId]);
      const [inserted] = await allRecords(store.ds, "request_id = 'forged'");
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: inserted.id, seq: 21, problem: 'inserted' });
    });

    test('appended past the projection', async () => {
      const { chainId, records } = await freshChain(store.ds);
      await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
        category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT chain_id, 31, 'appended', at, client_id, purpose, case_ref,
        subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash FROM audit_events WHERE id = ?`,
      [records[29].id]);
      const [appended] = await allRecords(store.ds, "request_id = 'appended'");
      expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: appended.id, seq: 31, problem: 'inserted', detail: expect.stringContaining('past the projection') });
    });

    test('under a chain no writer registered', async () => {
      const { records } = await freshChain(store.ds, 10);
      await tamper(store.ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field,
        category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) SELECT 'forgedchain', 1, 'stray', at, client_id, purpose, case_ref,
        subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash FROM audit_events WHERE id = ?`,
      [records[0].id]);
      const [stray] = await allRecords(store.ds, "request_id = 'stray'");
      expect(await reportFor('forgedchain')).toMatchObject({ ok: false, length: 1, firstBad: { table: 'audit_events', id: stray.id, seq: 1, problem: 'inserted' } });
    });
  });
});

describe('a chain written record by record, before the batch log', () => {
  /** As the first audit store wrote them: audit_events rows chained one by one, head_batch 0. */
  async function legacyChain(ds: DataSource, n: number): Promise<{ chainId: string; ids: number[] }> {
    const chainId = `legacy${++chains}`;
    const d = disclosure({ requestId: chainId, records: manyRecords(n) });
    const { records, head } = sealRecords(chainId, { seq: 0, hash: GENESIS_HASH }, d.records.map((r) => auditFacts(d, r)));
    for (const r of records) {
      await tamper(ds, `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field, category,
        decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash) VALUES (${new Array(20).fill('?').join(', ')})`, [
        r.chainId, r.seq, r.requestId, toDbTime(r.at), r.clientId, r.purpose, r.caseRef, r.subjectId, r.entity, r.entityId, r.field, r.category,
        r.decision, r.mask, r.reason, r.basis, r.policyVersion, r.consentId, r.prevHash, r.hash,
      ]);
    }
    await tamper(ds, 'INSERT INTO audit_chains (chain_id, started_at, head_batch, head_seq, head_hash) VALUES (?, ?, 0, ?, ?)', [
      chainId, toDbTime('2026-11-01T00:00:00.000Z'), head.seq, head.hash,
    ]);
    await tamper(ds, 'INSERT INTO audit_projection_progress (chain_id, projected_batch, projected_seq) VALUES (?, 0, ?)', [chainId, head.seq]);
    return { chainId, ids: (await allRecords(ds, 'chain_id = ?', [chainId])).map((r) => r.id) };
  }

  test('still verifies record by record, and a changed record is still named', async () => {
    const { chainId, ids } = await legacyChain(store.ds, 12);
    expect(await reportFor(chainId)).toMatchObject({ ok: true, length: 12 });
    await tamper(store.ds, "UPDATE audit_events SET field = 'nickname' WHERE id = ?", [ids[3]]);
    expect((await reportFor(chainId)).firstBad).toMatchObject({ table: 'audit_events', id: ids[3], seq: 4, problem: 'changed' });
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

  test('exits 0 listing each chain when all verify; exits 1 naming the first bad record, or batch', async () => {
    const own = await createTestStore();
    try {
      // As a gateway starting with the fixtures' policy would: its version is in the store's ledger (test/audit/verify-versions.test.ts for one that is not).
      await recordPolicyVersion(own.ds, policy);
      const { chainId, batches, records } = await freshChain(own.ds, 20);
      const ok = await cli(own);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`chain ${chainId}: 20 records`);
      expect(ok.stdout).toMatch(/all intact/);
      expect(ok.stdout).toContain(`policy version ${policy.version}: 2 batches, 20 records: in the ledger`);

      await tamper(own.ds, "UPDATE audit_events SET field = 'nickname' WHERE id = ?", [records[6].id]);
      const bad = await cli(own);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`first bad record id ${records[6].id} (seq 7) in chain ${chainId}: changed`);

      await tamper(own.ds, "UPDATE audit_batches SET client_id = 'someone-else' WHERE id = ?", [batches[0].id]);
      const worse = await cli(own);
      expect(worse.code).toBe(1);
      expect(worse.stdout).toContain(`first bad batch id ${batches[0].id} (seq 1) in chain ${chainId}: changed`);
    } finally {
      await own.drop();
    }
  });
});
