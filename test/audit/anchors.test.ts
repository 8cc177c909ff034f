import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { REPO_ROOT } from '../../bench/server-process';
import { createAudit } from '../../src/audit';
import { AnchorFileError, anchorsFrom, checkAnchors, parseAnchors } from '../../src/audit/anchors';
import { verifyChains } from '../../src/audit/verify';
import { createTestStore, storeProcessEnv, TestStore } from '../helpers/store';
import { recordPolicyVersion } from '../../src/db/entities/PolicyVersion';
import { allBatches, disclosure, manyRecords, policy, tamper } from './fixtures';

/**
 * What a chain alone cannot show (src/audit/README.md): someone with write access cuts a chain's
 * end and moves its head back, or removes a whole chain with its registration. The chain still
 * verifies; the heads anchored outside the database (`audit:verify --heads <file>`) do not.
 */
let store: TestStore;
let dir: string;
beforeAll(async () => {
  store = await createTestStore();
  // As a gateway starting with the fixtures' policy would: the records' version is in the ledger.
  await recordPolicyVersion(store.ds, policy);
  dir = mkdtempSync(path.join(tmpdir(), 'purposegate-heads-'));
});
afterAll(async () => {
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
});

let chains = 0;

/** A chain of three batches of ten records, written and projected by the real writer. */
async function freshChain(ds: DataSource) {
  const audit = createAudit(ds);
  const marker = `anchored-${++chains}`;
  for (let i = 0; i < 3; i++) await audit.commit(disclosure({ requestId: marker, records: manyRecords(10, 1 + i) }));
  await audit.close();
  const [{ chain_id: chainId }] = await ds.query('SELECT chain_id FROM audit_batches WHERE request_id = ? LIMIT 1', [marker]);
  return { chainId: String(chainId), batches: await allBatches(ds, 'chain_id = ?', [chainId]) };
}

/** Cut the chain's last batch and its records, and move its head and projection back, as someone with write access could. */
async function cutBack(ds: DataSource, chainId: string): Promise<void> {
  const batches = await allBatches(ds, 'chain_id = ?', [chainId]);
  const [kept, last] = [batches[batches.length - 2], batches[batches.length - 1]];
  await tamper(ds, 'DELETE FROM audit_events WHERE chain_id = ? AND seq >= ?', [chainId, last.firstSeq]);
  await tamper(ds, 'DELETE FROM audit_batches WHERE id = ?', [last.id]);
  const seq = kept.firstSeq + kept.recordCount - 1;
  await tamper(ds, 'UPDATE audit_chains SET head_batch = ?, head_seq = ?, head_hash = ? WHERE chain_id = ?', [kept.seq, seq, kept.hash, chainId]);
  await tamper(ds, 'UPDATE audit_projection_progress SET projected_batch = ?, projected_seq = ? WHERE chain_id = ?', [kept.seq, seq, chainId]);
}

async function removeChain(ds: DataSource, chainId: string): Promise<void> {
  for (const table of ['audit_events', 'audit_batches', 'audit_activity_progress', 'audit_projection_progress', 'audit_chain_verifications', 'audit_chains']) await tamper(ds, `DELETE FROM ${table} WHERE chain_id = ?`, [chainId]);
}

const verified = async () => {
  const reports = await verifyChains(store.ds, undefined, { record: false });
  expect(reports.filter((r) => !r.ok)).toEqual([]);
  return reports;
};

test('a chain cut back, or removed whole, still verifies; against the heads anchored before, it does not', async () => {
  const cut = await freshChain(store.ds);
  const gone = await freshChain(store.ds);
  const intact = await freshChain(store.ds);
  const anchors = anchorsFrom(await verified(), new Date('2026-11-25T12:00:00Z'));
  expect(anchors.chains.find((c) => c.chainId === cut.chainId)).toEqual({ chainId: cut.chainId, batches: 3, records: 30, hash: cut.batches[2].hash });
  expect(await checkAnchors(store.ds, anchors)).toEqual([]);

  await cutBack(store.ds, cut.chainId);
  await removeChain(store.ds, gone.chainId);
  // The chains alone: everything left verifies.
  await verified();
  // Chains grow meanwhile: still fine for the anchors.
  const audit = createAudit(store.ds);
  await audit.commit(disclosure({ records: manyRecords(5) }));
  await audit.close();

  // In the order the chains were anchored (started first, first).
  expect(await checkAnchors(store.ds, anchors)).toEqual([
    { chainId: cut.chainId, problem: 'cut back', detail: 'anchored at 2026-11-25T12:00:00.000Z with 30 records, its batch 3 is gone (the chain now holds 20)' },
    { chainId: gone.chainId, problem: 'gone', detail: 'anchored at 2026-11-25T12:00:00.000Z with 30 records, it is no longer in the store' },
  ]);
  expect(anchors.chains.map((c) => c.chainId)).toEqual(expect.arrayContaining([intact.chainId]));
});

test('a batch rewritten in the anchored place is named', async () => {
  const { chainId, batches } = await freshChain(store.ds);
  const anchors = anchorsFrom(await verified(), new Date('2026-11-25T12:00:00Z'));
  await tamper(store.ds, 'UPDATE audit_batches SET hash = ? WHERE id = ?', ['f'.repeat(64), batches[2].id]);
  expect((await checkAnchors(store.ds, anchors)).filter((p) => p.chainId === chainId)).toEqual([
    { chainId, problem: 'rewritten', detail: 'its batch 3 no longer has the hash anchored at 2026-11-25T12:00:00.000Z' },
  ]);
  await tamper(store.ds, 'UPDATE audit_batches SET hash = ? WHERE id = ?', [batches[2].hash, batches[2].id]);
});

test('only a verification that passed is anchored, and a heads file is read strictly', () => {
  expect(() => anchorsFrom([{ chainId: 'c', length: 1, batches: 1, headHash: '0'.repeat(64), ok: false }], new Date())).toThrow(/passed/);
  const good = { format: 'purposegate-audit-heads/1', at: '2026-11-25T12:00:00.000Z', chains: [{ chainId: 'c1', batches: 2, records: 20, hash: 'a'.repeat(64) }] };
  expect(parseAnchors(JSON.stringify(good), 'h.json')).toEqual(good);
  for (const [text, message] of [
    ['not json', /h\.json is not JSON/],
    [JSON.stringify({ ...good, format: 'other' }), /not a heads file of audit:verify/],
    [JSON.stringify({ ...good, chains: [{ ...good.chains[0], hash: 'xyz' }] }), /chain entry 1 is malformed/],
    [JSON.stringify({ ...good, chains: [{ ...good.chains[0], records: -1 }] }), /chain entry 1 is malformed/],
  ] as const) {
    expect(() => parseAnchors(text, 'h.json')).toThrow(AnchorFileError);
    expect(() => parseAnchors(text, 'h.json')).toThrow(message);
  }
});

describe('npm run audit:verify -- --heads <file>', () => {
  const run = promisify(execFile);
  const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'audit-verify.js');
  const verify = async (file: string): Promise<{ code: number; stdout: string }> => {
    try {
      const { stdout } = await run(process.execPath, [CLI, '--heads', file], { cwd: REPO_ROOT, env: storeProcessEnv(store, { NODE_ENV: 'test', LOG_LEVEL: 'silent' }), timeout: 60_000 });
      return { code: 0, stdout };
    } catch (e) {
      return { code: (e as { code: number }).code, stdout: (e as { stdout: string }).stdout };
    }
  };

  test('anchors the heads of a run that passes, fails the run after a chain is cut back, and keeps the file then', async () => {
    const file = path.join(dir, 'heads.json');
    const first = await verify(file);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`heads: ${file} does not exist yet; nothing anchored to compare`);
    expect(first.stdout).toMatch(/heads anchored in .*heads\.json: \d+ chain\(s\)/);
    const anchored = parseAnchors(readFileSync(file, 'utf8'), file);
    expect(anchored.chains.length).toBeGreaterThan(0);

    const second = await verify(file);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`heads: all ${anchored.chains.length} chain(s) anchored at ${anchored.at} still hold their heads`);

    const { chainId } = await freshChain(store.ds);
    expect((await verify(file)).code).toBe(0); // anchors the new chain too
    const before = readFileSync(file, 'utf8');
    await cutBack(store.ds, chainId);
    const third = await verify(file);
    expect(third.code).toBe(1);
    expect(third.stdout).toContain('audit verified:'); // the chains alone pass
    expect(third.stdout).toContain(`chain ${chainId}: CUT BACK: `);
    expect(third.stdout).toMatch(/heads check FAILED: 1 of \d+ chain\(s\) anchored at .* no longer hold their heads/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a file that is not a heads file fails the run, and is left as it is', async () => {
    const file = path.join(dir, 'not-heads.json');
    writeFileSync(file, '{"hello": 1}');
    const r = await verify(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('is not a heads file of audit:verify');
    expect(readFileSync(file, 'utf8')).toBe('{"hello": 1}');
  });
});
