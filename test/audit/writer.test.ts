import { createAudit, Audit, createAuditStore, createProjection } from '../../src/audit';
import { decodeRecords, GENESIS_HASH, hashBatch } from '../../src/audit/batch';
import { statementCounter } from '../../src/db/statement-counter';
import { createTestStore, TestStore } from '../helpers/store';
import { allBatches, allRecords, disclosure, fieldRecord, manyRecords, tamper } from './fixtures';

/**
 * SPEC §6 at the writer: one batch per request, committed before the response, holding one
 * record per field decision with the request's fields and never a value; projected into
 * audit_events one row per record; concurrent requests coalesced into few transactions;
 * fail-closed and self-recovering.
 */
let store: TestStore;
let audit: Audit;
beforeAll(async () => {
  store = await createTestStore();
  audit = createAudit(store.ds);
});
afterAll(async () => {
  await audit?.close();
  await store?.drop();
});

describe('records', () => {
  test('one record per field decision, ALLOW, MASK and DENY, with exactly the fields of SPEC §6', async () => {
    const d = disclosure({
      clientId: 'legal-desk', purpose: 'legal.criminal-investigation', caseRef: 'GA-2026-0117', requestId: 'req-records-1',
      at: '2026-11-25T12:34:56.789Z',
      records: [
        fieldRecord({ subjectId: 1, entity: 'User', entityId: '1', field: 'phone', category: 'contact.phone', decision: 'ALLOW', reason: 'POLICY_ALLOWS', basis: 'legal-exception' }),
        fieldRecord({ subjectId: 1, entity: 'PaymentAccount', entityId: '2', field: 'accountNo', category: 'financial.card', decision: 'MASK', mask: 'LAST4', reason: 'POLICY_MASKS', basis: 'legal-exception' }),
        fieldRecord({ subjectId: 5, entity: 'Device', entityId: '5', field: 'deviceId', category: 'device.identifier', decision: 'DENY', reason: 'SUBJECT_ERASED', basis: 'legal-exception' }),
        fieldRecord({ subjectId: 1, entity: 'User', entityId: '1', field: 'city', category: 'location.coarse', decision: 'ALLOW', reason: 'POLICY_ALLOWS', basis: 'consent', consentId: '7' }),
      ],
    });
    await audit.commit(d);
    // Committed: one batch row, holding the four records.
    const [batch] = await allBatches(store.ds, 'request_id = ?', ['req-records-1']);
    expect(batch).toMatchObject({ seq: 1, firstSeq: 1, recordCount: 4, requestId: 'req-records-1', at: '2026-11-25T12:34:56.789Z', clientId: 'legal-desk', caseRef: 'GA-2026-0117' });
    expect(decodeRecords(batch.records, 4)).toEqual(d.records);
    expect(batch.hash).toBe(hashBatch(GENESIS_HASH, batch));
    // Projected: one audit_events row per record.
    await audit.settled();
    const rows = await allRecords(store.ds, 'request_id = ?', ['req-records-1']);
    expect(rows).toHaveLength(4);
    const common = {
      requestId: 'req-records-1', at: '2026-11-25T12:34:56.789Z', clientId: 'legal-desk', purpose: 'legal.criminal-investigation',
      caseRef: 'GA-2026-0117', policyVersion: d.policy.version,
    };
    expect(rows.map(({ id, chainId, seq, prevHash, hash, ...rest }) => rest)).toEqual([
      { ...common, subjectId: 1, entity: 'User', entityId: '1', field: 'phone', category: 'contact.phone', decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS', basis: 'legal-exception', consentId: null },
      { ...common, subjectId: 1, entity: 'PaymentAccount', entityId: '2', field: 'accountNo', category: 'financial.card', decision: 'MASK', mask: 'LAST4', reason: 'POLICY_MASKS', basis: 'legal-exception', consentId: null },
      { ...common, subjectId: 5, entity: 'Device', entityId: '5', field: 'deviceId', category: 'device.identifier', decision: 'DENY', mask: null, reason: 'SUBJECT_ERASED', basis: 'legal-exception', consentId: null },
      { ...common, subjectId: 1, entity: 'User', entityId: '1', field: 'city', category: 'location.coarse', decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS', basis: 'consent', consentId: '7' },
    ]);
    // Numbered in the batch's chain: consecutive seq from its first, and the batch's hashes.
    expect(rows.map((r) => [r.chainId, r.seq, r.prevHash, r.hash])).toEqual([1, 2, 3, 4].map((seq) => [batch.chainId, seq, GENESIS_HASH, batch.hash]));
  });

  test('a record without a subject, ids that are not the subject\'s, consent ids: the projection unfolds them as the batch holds them', async () => {
    const records = [
      fieldRecord({ subjectId: null, entity: 'Device', entityId: 'dev-9', field: 'deviceId', category: 'device.identifier' }),
      fieldRecord({ subjectId: 7, entity: 'Order', entityId: '700', field: 'recipientPhone', consentId: '12', basis: 'consent' }),
      fieldRecord({ subjectId: 7, entity: 'User', entityId: '7', field: 'phone', consentId: 'c"\\ü', basis: 'consent' }),
      fieldRecord({ subjectId: 8, entity: 'User', entityId: '8', field: 'phone', consentId: '13', basis: 'consent' }),
      fieldRecord({ subjectId: 9, entity: 'User', entityId: '09', field: 'phone' }),
    ];
    await audit.commit(disclosure({ requestId: 'req-unusual', records }));
    await audit.settled();
    const rows = await allRecords(store.ds, 'request_id = ?', ['req-unusual']);
    expect(rows.map((r) => [r.subjectId, r.entity, r.entityId, r.field, r.consentId])).toEqual(records.map((r) => [r.subjectId, r.entity, r.entityId, r.field, r.consentId]));
  });

  test('a value longer than its audit column fails the commit (AUDIT_UNAVAILABLE), writing nothing', async () => {
    const before = statementCounter.total;
    await expect(audit.commit(disclosure({ records: [fieldRecord({ entityId: 'x'.repeat(65) })] }))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(statementCounter.total).toBe(before);
  });

  test('the tables have exactly the audit columns: nowhere to put a value', async () => {
    const [row] = await store.ds.query('SELECT * FROM audit_events LIMIT 1');
    expect(Object.keys(row).sort()).toEqual([
      'at', 'basis', 'case_ref', 'category', 'chain_id', 'client_id', 'consent_id', 'decision', 'entity', 'entity_id', 'field', 'hash', 'id',
      'mask', 'policy_version', 'prev_hash', 'purpose', 'reason', 'request_id', 'seq', 'subject_id',
    ]);
    const [batch] = await store.ds.query('SELECT * FROM audit_batches LIMIT 1');
    expect(Object.keys(batch).sort()).toEqual([
      'at', 'case_ref', 'chain_id', 'client_id', 'first_seq', 'hash', 'id', 'policy_version', 'prev_hash', 'purpose', 'record_count', 'records', 'request_id', 'seq',
    ]);
    // The records hold ids, names from the schema and the policy, decisions: the encoder has no other input.
    expect(Object.keys(fieldRecord()).sort()).toEqual(['basis', 'category', 'consentId', 'decision', 'entity', 'entityId', 'field', 'mask', 'reason', 'subjectId']);
  });

  test('a disclosure with no records commits at once, writing nothing', async () => {
    const before = statementCounter.total;
    const d = disclosure({ records: [] });
    await audit.commit(d);
    expect(statementCounter.total).toBe(before);
  });

  test('the chain starts at batch 1 from the genesis hash, each batch linked to the one before, and is registered with its head', async () => {
    const batches = await allBatches(store.ds);
    expect(batches[0]).toMatchObject({ seq: 1, firstSeq: 1, prevHash: GENESIS_HASH });
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i]).toMatchObject({ seq: i + 1, firstSeq: batches[i - 1].firstSeq + batches[i - 1].recordCount, prevHash: batches[i - 1].hash });
      expect(batches[i].hash).toBe(hashBatch(batches[i].prevHash, batches[i]));
    }
    await audit.settled();
    const rows = await allRecords(store.ds);
    const last = batches[batches.length - 1];
    const [chain] = await store.ds.query('SELECT * FROM audit_chains');
    expect(chain.chain_id).toBe(last.chainId);
    expect([chain.head_batch, chain.head_seq, chain.head_hash].map(String)).toEqual([String(last.seq), String(rows.length), last.hash]);
    const [progress] = await store.ds.query('SELECT * FROM audit_projection_progress');
    expect([progress.chain_id, Number(progress.projected_batch), Number(progress.projected_seq)]).toEqual([last.chainId, last.seq, rows.length]);
    expect(audit.stats()).toEqual({ queueDepth: 0, chains: 1, committedRecords: rows.length, unprojectedRecords: 0 });
  });
});

describe('group commit', () => {
  test('50 concurrent requests are coalesced into a few transactions, each resolved after its commit', async () => {
    const before = statementCounter.total;
    const ds = Array.from({ length: 50 }, (_, i) => disclosure({ requestId: `req-group-${i}`, records: manyRecords(20, (i % 5) + 1) }));
    await Promise.all(ds.map((d) => audit.commit(d)));
    const statements = statementCounter.total - before;
    // One request per transaction would be 50 x (BEGIN, INSERT, head, COMMIT) = 200 statements.
    expect(statements).toBeLessThanOrEqual(8);
    const [{ n: batches }] = await store.ds.query("SELECT COUNT(*) AS n FROM audit_batches WHERE request_id LIKE 'req-group-%'");
    expect(Number(batches)).toBe(50);
    await audit.settled();
    const [{ n }] = await store.ds.query("SELECT COUNT(*) AS n FROM audit_events WHERE request_id LIKE 'req-group-%'");
    expect(Number(n)).toBe(1000);
  });

  test('a large request is one row, whatever its number of records: BEGIN, one INSERT, the head, COMMIT', async () => {
    const d = disclosure({ requestId: 'req-large', records: manyRecords(3000, 2) });
    const before = statementCounter.total;
    await audit.commit(d);
    expect(statementCounter.total - before).toBe(4);
    const [batch] = await allBatches(store.ds, "request_id = 'req-large'");
    expect(batch.recordCount).toBe(3000);
    expect(batch.records.length).toBeLessThan(3000 * 16); // the repeated names once, then ~10 bytes a record
    await audit.settled();
    const [{ n }] = await store.ds.query("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = 'req-large'");
    expect(Number(n)).toBe(3000);
  });

  test('the commit writes only the batch; audit_events is filled afterwards, from the batches', async () => {
    const { AuditWriter } = await import('../../src/audit/writer');
    const bare = new AuditWriter(createAuditStore(store.ds)); // no projection behind it
    await bare.commit(disclosure({ requestId: 'req-deferred', records: manyRecords(30) }));
    await bare.close();
    const [{ n: batches }] = await store.ds.query("SELECT COUNT(*) AS n FROM audit_batches WHERE request_id = 'req-deferred'");
    const [{ n: before }] = await store.ds.query("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = 'req-deferred'");
    expect([Number(batches), Number(before)]).toEqual([1, 0]);
    await createProjection(store.ds).settled(); // any reader's settle projects every pending chain
    const rows = await allRecords(store.ds, "request_id = 'req-deferred'");
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(rows.every((r) => r.chainId === bare.chainId)).toBe(true);
  });
});

describe('fail-closed', () => {
  test('with the store gone every commit rejects; when it returns, the writer recovers by itself', async () => {
    const own = createAudit(store.ds);
    await own.commit(disclosure({ requestId: 'req-before-outage' }));
    await store.ds.destroy();
    const during = await Promise.allSettled([1, 2, 3].map((i) => own.commit(disclosure({ requestId: `req-outage-${i}` }))));
    expect(during.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(own.readiness.check()).rejects.toThrow();
    await store.ds.initialize();
    await own.readiness.check();
    await own.commit(disclosure({ requestId: 'req-after-outage', records: manyRecords(3) }));
    await own.settled();
    const rows = await allRecords(store.ds, 'chain_id = (SELECT chain_id FROM audit_events WHERE request_id = ? LIMIT 1)', ['req-after-outage']);
    expect(rows.map((r) => r.requestId)).toEqual(['req-before-outage', 'req-after-outage', 'req-after-outage', 'req-after-outage']);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(own.stats()).toMatchObject({ queueDepth: 0, chains: 1, committedRecords: 4, unprojectedRecords: 0 });
    await own.close();
  });

  test('with the batch table unwritable, commits reject and nothing is half-written; after repair, it recovers', async () => {
    const own = createAudit(store.ds);
    await own.commit(disclosure({ requestId: 'req-before-rename' }));
    await own.settled();
    await store.ds.query('ALTER TABLE audit_batches RENAME TO audit_batches_offline');
    try {
      await expect(own.commit(disclosure({ requestId: 'req-renamed', records: manyRecords(5) }))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      await expect(own.readiness.check()).rejects.toThrow();
    } finally {
      await store.ds.query('ALTER TABLE audit_batches_offline RENAME TO audit_batches');
    }
    await own.readiness.check();
    await own.commit(disclosure({ requestId: 'req-repaired', records: manyRecords(2) }));
    await own.settled();
    const rows = await allRecords(store.ds, "request_id IN ('req-before-rename', 'req-renamed', 'req-repaired')");
    expect(rows.map((r) => [r.requestId, r.seq])).toEqual([['req-before-rename', 1], ['req-repaired', 2], ['req-repaired', 3]]);
    await own.close();
  });

  test('close() commits what is queued, then refuses', async () => {
    const own = createAudit(store.ds, { lingerMs: 50 });
    const pending = own.commit(disclosure({ requestId: 'req-at-close', records: manyRecords(4) }));
    await own.close();
    await pending;
    expect(await allRecords(store.ds, 'request_id = ?', ['req-at-close'])).toHaveLength(4);
    await expect(own.commit(disclosure())).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await expect(own.readiness.check()).rejects.toThrow();
  });
});

describe('an acknowledgement lost after the commit landed', () => {
  test('the writer rereads its head and the chain continues without a gap or a fork', async () => {
    const { AuditWriter } = await import('../../src/audit/writer');
    const { verifyChains } = await import('../../src/audit/verify');
    const real = createAuditStore(store.ds);
    let loseNext = false;
    const flaky: typeof real = {
      deflateFromChars: real.deflateFromChars,
      probe: () => real.probe(),
      close: () => real.close?.() ?? Promise.resolve(),
      async append(...args) {
        const result = await real.append(...args);
        if (loseNext) {
          loseNext = false;
          throw new Error('connection reset after COMMIT');
        }
        return result;
      },
    };
    const w = new AuditWriter(flaky);
    await w.commit(disclosure({ requestId: 'ack-1', records: manyRecords(2) }));
    loseNext = true;
    await expect(w.commit(disclosure({ requestId: 'ack-2', records: manyRecords(3) }))).rejects.toMatchObject({ reason: 'commit-failed' });
    await w.commit(disclosure({ requestId: 'ack-3', records: manyRecords(2) }));
    await w.close();
    await createProjection(store.ds).settled(); // (a bare writer: nothing told the projection; the database's pending chains did)
    const rows = await allRecords(store.ds, 'chain_id = ?', [w.chainId]);
    // ack-2 landed (over-audited: its response was withheld, which is the safe side).
    expect(rows.map((r) => [r.requestId, r.seq])).toEqual([
      ['ack-1', 1], ['ack-1', 2], ['ack-2', 3], ['ack-2', 4], ['ack-2', 5], ['ack-3', 6], ['ack-3', 7],
    ]);
    const report = (await verifyChains(store.ds, undefined, { record: false })).find((r) => r.chainId === w.chainId);
    expect(report).toMatchObject({ ok: true, length: 7 });
  });
});

describe('a chain head moved under the writer', () => {
  test('the commit is refused before COMMIT: nothing of it lands, and the head stays where it was moved', async () => {
    const { AuditWriter } = await import('../../src/audit/writer');
    const w = new AuditWriter(createAuditStore(store.ds));
    try {
      await w.commit(disclosure({ requestId: 'moved-1', records: manyRecords(2) }));
      await tamper(store.ds, 'UPDATE audit_chains SET head_batch = head_batch + 5 WHERE chain_id = ?', [w.chainId]);
      await expect(w.commit(disclosure({ requestId: 'moved-2', records: manyRecords(3) }))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE', reason: 'commit-failed' });
      expect(await allBatches(store.ds, 'request_id = ?', ['moved-2'])).toHaveLength(0);
      const [head] = await store.ds.query('SELECT head_batch, head_seq FROM audit_chains WHERE chain_id = ?', [w.chainId]);
      expect([Number(head.head_batch), Number(head.head_seq)]).toEqual([6, 2]);
    } finally {
      await w.close();
      // Put the head back, so that the later tests' settle() does not stop at this chain's "gap".
      await tamper(store.ds, 'UPDATE audit_chains SET head_batch = 1 WHERE chain_id = ?', [w.chainId]);
    }
  });
});

describe('monthly chains', () => {
  test('a writer starts a new chain when the month turns (UTC), so retention can move whole months', async () => {
    const { fixedClock, useClock } = await import('../../src/clock');
    const { verifyChains } = await import('../../src/audit/verify');
    let restore = useClock(fixedClock('2026-11-30T23:59:59.000Z'));
    const own = createAudit(store.ds);
    try {
      await own.commit(disclosure({ requestId: 'month-nov', records: manyRecords(2) }));
      restore();
      restore = useClock(fixedClock('2026-12-01T00:00:01.000Z'));
      await own.commit(disclosure({ requestId: 'month-dec', records: manyRecords(3) }));
    } finally {
      restore();
      await own.close();
    }
    const nov = await allRecords(store.ds, "request_id = 'month-nov'");
    const dec = await allRecords(store.ds, "request_id = 'month-dec'");
    expect(nov[0].chainId).not.toBe(dec[0].chainId);
    expect(dec.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(own.stats()).toMatchObject({ chains: 2, committedRecords: 5 });
    const [started] = await store.ds.query('SELECT started_at FROM audit_chains WHERE chain_id = ?', [dec[0].chainId]);
    expect(new Date(started.started_at instanceof Date ? started.started_at : `${started.started_at.replace(' ', 'T')}Z`).toISOString()).toBe('2026-12-01T00:00:01.000Z');
    const reports = await verifyChains(store.ds, undefined, { record: false });
    expect(reports.filter((r) => r.chainId === nov[0].chainId || r.chainId === dec[0].chainId).map((r) => r.ok)).toEqual([true, true]);
  });
});

describe('another connection holding the write lock', () => {
  test('while another connection holds the audit\'s write lock, a commit fails in bounded time, even with a projection step waiting for the same lock; once it is released, commits go on', async () => {
    const own = createAudit(store.ds, { commitTimeoutMs: store.kind === 'mysql' ? 1500 : 20_000 });
    let release: () => Promise<void>;
    await own.commit(disclosure({ requestId: 'locked-before', records: manyRecords(3) })); // its projection is due next
    if (store.kind === 'mysql') {
      const { createConnection } = await import('mysql2/promise');
      const conn = await createConnection({ uri: store.databaseUrl });
      await conn.query('LOCK TABLES audit_batches WRITE, audit_events WRITE, audit_chains WRITE');
      release = async () => {
        await conn.query('UNLOCK TABLES');
        await conn.end();
      };
    } else {
      const { default: Database } = await import('better-sqlite3');
      const other = new Database(store.sqliteFile);
      other.exec('BEGIN IMMEDIATE'); // as another process would
      release = async () => {
        other.exec('ROLLBACK');
        other.close();
      };
    }
    try {
      await new Promise((r) => setTimeout(r, 50)); // the projection's step has started, and finds the lock taken
      const started = Date.now();
      // SQLite: the append's own wait (5 s), whatever the projection's worker is waiting for meanwhile.
      await expect(own.commit(disclosure({ requestId: 'locked-during', records: manyRecords(2) }))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(store.kind === 'mysql' ? 3000 : 6500);
    } finally {
      await release();
    }
    await own.commit(disclosure({ requestId: 'locked-after', records: manyRecords(2) }));
    await own.settled();
    expect(await allRecords(store.ds, "request_id IN ('locked-before', 'locked-after')")).toHaveLength(5);
    await own.close();
  }, 30_000);
});
