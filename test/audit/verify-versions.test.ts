import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { createAudit } from '../../src/audit';
import { toDbTime } from '../../src/audit/columns';
import { GENESIS_HASH, sealRecords } from '../../src/audit/hash';
import { auditFacts } from '../../src/audit/record';
import { checkPolicyVersions, describePolicyVersions } from '../../src/cli/audit-verify';
import { recordPolicyVersion } from '../../src/db/entities/PolicyVersion';
import { Disclosure } from '../../src/enforcement/disclosure';
import { CompiledPolicy, compilePolicy, defaultPolicyPath, parsePolicy } from '../../src/policy';
import { createTestStore, TestStore } from '../helpers/store';
import { allBatches, allRecords, fieldRecord, manyRecords, policy, tamper } from './fixtures';

/**
 * Issue #22: `audit:verify`, after the hash chains, checks what each batch and record says it was
 * decided under: a `<version>+<hash>` whose hash the store's ledger does not hold for that version
 * was stamped by a policy no gateway of this store started with. The chains cannot tell: such a
 * batch is hashed like any other. Records from before the hash (a bare version) are reported as
 * legacy and do not fail the run.
 */
const current = readFileSync(defaultPolicyPath(), 'utf8');

/** The reviewed policy with service.payment's contact.phone allowed, under `version`. */
function edited(version: string): CompiledPolicy {
  const text = current.replace(/^version: .*$/m, `version: "${version}"`).replace(/( {2}service\.payment:\n(?: {4}.*\n)*? {4}contact\.phone: )D/, '$1A');
  return compilePolicy(parsePolicy(text, 'edited.yaml'));
}

/** A chain of `batches` batches of 5 records each, written (and projected) by the real writer under `under`. */
async function writeUnder(ds: DataSource, under: CompiledPolicy, requestId: string, batches = 1): Promise<string> {
  const audit = createAudit(ds);
  for (let i = 0; i < batches; i++) {
    const d = new Disclosure(requestId, 'mall-app', 'service.fulfilment', 'contract', null, under, new Date('2026-11-25T12:00:00.123Z'), false);
    d.records.push(...manyRecords(5));
    await audit.commit(d);
  }
  await audit.close();
  const [{ chain_id: chainId }] = await ds.query('SELECT chain_id FROM audit_batches WHERE request_id = ? LIMIT 1', [requestId]);
  return String(chainId);
}

/** A chain as the first audit store wrote them (record by record, no batch), stamped with a bare version as before the ledger. */
async function legacyChain(ds: DataSource, version: string, n = 3): Promise<void> {
  const chainId = `legacy-${version}`;
  const d = new Disclosure(chainId, 'mall-app', 'service.fulfilment', 'contract', null, policy, new Date('2026-11-01T00:00:00.000Z'), false);
  d.records.push(...Array.from({ length: n }, () => fieldRecord()));
  const { records, head } = sealRecords(chainId, { seq: 0, hash: GENESIS_HASH }, d.records.map((r) => ({ ...auditFacts(d, r), policyVersion: version })));
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
}

describe('checkPolicyVersions', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => {
    await store?.drop();
  });

  test('each version the audit carries, against the ledger: known, unknown (with what the ledger holds instead), legacy', async () => {
    expect(describePolicyVersions(await checkPolicyVersions(store.ds))).toEqual({ ok: true, lines: ['policy versions: 0 stamped, all in the ledger'] });

    await recordPolicyVersion(store.ds, policy);
    await writeUnder(store.ds, policy, 'known', 2);
    let uses = await checkPolicyVersions(store.ds);
    expect(uses).toEqual([{ version: policy.version, status: 'known', ledgerHash: null, batches: 2, records: 10, firstBatchId: expect.any(Number), firstRecordId: expect.any(Number) }]);
    expect(describePolicyVersions(uses)).toEqual({ ok: true, lines: [`policy version ${policy.version}: 2 batches, 10 records: in the ledger`, 'policy versions: 1 stamped, all in the ledger'] });

    // Before the ledger: a bare version is reported, never failed.
    await legacyChain(store.ds, '2026-11-01.1');
    uses = await checkPolicyVersions(store.ds);
    expect(uses.find((u) => u.version === '2026-11-01.1')).toEqual({ version: '2026-11-01.1', status: 'legacy', ledgerHash: null, batches: 0, records: 3, firstBatchId: null, firstRecordId: expect.any(Number) });
    expect(describePolicyVersions(uses)).toMatchObject({ ok: true, lines: expect.arrayContaining([
      'policy version 2026-11-01.1: 0 batches, 3 records: legacy (no hash), not checked',
      'policy versions: 1 stamped, all in the ledger, 1 legacy version without a hash',
    ]) });

    // The same declared version, other content: a writer whose policy no gateway of this store started with.
    const lying = edited(policy.declaredVersion);
    expect(lying.version).not.toBe(policy.version);
    await writeUnder(store.ds, lying, 'lying');
    // A version the ledger has never seen at all.
    const unseen = edited('2026-12-09.1');
    await writeUnder(store.ds, unseen, 'unseen');
    const [lyingBatch] = await allBatches(store.ds, 'request_id = ?', ['lying']);
    const [lyingRecord] = await allRecords(store.ds, 'request_id = ?', ['lying']);

    uses = await checkPolicyVersions(store.ds);
    expect(uses.map((u) => [u.version, u.status, u.ledgerHash])).toEqual([
      [policy.version, 'known', null],
      [lying.version, 'unknown', policy.hash],
      ['2026-11-01.1', 'legacy', null],
      [unseen.version, 'unknown', null],
    ].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)));
    const verdict = describePolicyVersions(uses);
    expect(verdict.ok).toBe(false);
    expect(verdict.lines).toContain(`policy version ${lying.version}: 1 batch, 5 records: NOT IN THE LEDGER (the ledger has ${policy.declaredVersion} with hash ${policy.hash}); first batch id ${lyingBatch.id}, first record id ${lyingRecord.id}`);
    expect(verdict.lines).toContainEqual(expect.stringMatching(new RegExp(`^policy version ${unseen.version.replace(/[.+]/g, '\\$&')}: 1 batch, 5 records: NOT IN THE LEDGER \\(the ledger has no version 2026-12-09\\.1\\); first batch id \\d+, first record id \\d+$`)));
    expect(verdict.lines[verdict.lines.length - 1]).toBe(
      `policy version check FAILED: 2 of 3 stamped version(s) not in the ledger: ${[lying.version, unseen.version].sort().join(', ')}, 1 legacy version without a hash`,
    );

    // Once a gateway has started with it, the version is known.
    await recordPolicyVersion(store.ds, unseen);
    expect((await checkPolicyVersions(store.ds)).find((u) => u.version === unseen.version)?.status).toBe('known');
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

  test('passes with known and legacy versions; exits 1 on intact chains stamped with a hash the ledger does not hold', async () => {
    const own = await createTestStore();
    try {
      await recordPolicyVersion(own.ds, policy);
      await writeUnder(own.ds, policy, 'known');
      await legacyChain(own.ds, '2026-11-01.1');
      const ok = await cli(own);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/audit verified: 2 chain\(s\), 8 records, all intact/);
      expect(ok.stdout).toContain(`policy version ${policy.version}: 1 batch, 5 records: in the ledger`);
      expect(ok.stdout).toContain('policy version 2026-11-01.1: 0 batches, 3 records: legacy (no hash), not checked');
      expect(ok.stdout).toContain('policy versions: 1 stamped, all in the ledger, 1 legacy version without a hash');

      const lying = edited(policy.declaredVersion);
      const chainId = await writeUnder(own.ds, lying, 'lying');
      const [batch] = await allBatches(own.ds, 'request_id = ?', ['lying']);
      const bad = await cli(own);
      expect(bad.code).toBe(1);
      // The chains cannot tell: the lying batch is hashed like any other.
      expect(bad.stdout).toContain(`chain ${chainId}: 5 records`);
      expect(bad.stdout).toMatch(/audit verified: 3 chain\(s\), 13 records, all intact/);
      expect(bad.stdout).toContain(`policy version ${lying.version}: 1 batch, 5 records: NOT IN THE LEDGER (the ledger has ${policy.declaredVersion} with hash ${policy.hash}); first batch id ${batch.id}`);
      expect(bad.stdout).toContain(`policy version check FAILED: 1 of 2 stamped version(s) not in the ledger: ${lying.version}`);

      // A ledger row removed (as an operator, or an attacker, could): the version it vouched for is no longer known.
      await tamper(own.ds, 'DELETE FROM policy_versions WHERE version = ?', [policy.declaredVersion]);
      const unvouched = await cli(own);
      expect(unvouched.code).toBe(1);
      expect(unvouched.stdout).toContain(`policy version ${policy.version}: 1 batch, 5 records: NOT IN THE LEDGER (the ledger has no version ${policy.declaredVersion})`);
    } finally {
      await own.drop();
    }
  });
});
