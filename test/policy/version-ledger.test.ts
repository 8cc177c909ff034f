import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { loadDemoData } from '../../seeds/demo';
import { Gateway, startGateway } from '../../src/app';
import { loadConfig } from '../../src/config';
import { PolicyVersion, PolicyVersionChangedError, recordPolicyVersion } from '../../src/db/entities/PolicyVersion';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../../src/policy';
import { secondDataSource } from '../audit/fixtures';
import { executorEnv, KEYS } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/**
 * Issue #22, "policyVersion cannot lie": the store keeps a ledger of the policy versions its
 * gateways started with and the hash of each one's content. A known version whose content
 * changed refuses to start, naming both hashes; a new version is recorded once, however many
 * gateways start with it together; every disclosure and audit record carries `<version>+<hash>`.
 */
const ROOT = path.join(__dirname, '..', '..');
const current = readFileSync(defaultPolicyPath(), 'utf8');
const CURRENT_HASH = compilePolicy(loadPolicy(defaultPolicyPath())).hash;

/** The reviewed file with another version and, optionally, service.payment's contact.phone cell (D in the reviewed file). */
function variant(version: string, phoneForPayment?: 'A' | 'M:PHONE'): string {
  let text = current.replace(/^version: .*$/m, `version: "${version}"`);
  if (phoneForPayment) text = text.replace(/( {2}service\.payment:\n(?: {4}.*\n)*? {4}contact\.phone: )D/, `$1${phoneForPayment}`);
  if (text === current && version !== '2026-12-02.1') throw new Error('fixture: no edit');
  return text;
}

let store: TestStore;
let dir: string;
beforeAll(async () => {
  store = await createTestStore();
  await loadDemoData(store.ds);
  dir = mkdtempSync(path.join(tmpdir(), 'purposegate-ledger-'));
});
afterAll(async () => {
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function configFor(policyFile?: string) {
  return loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '0',
    ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    ...executorEnv(),
    ...(policyFile ? { POLICY_FILE: policyFile } : {}),
  });
}

async function ledger(ds: DataSource = store.ds): Promise<Array<{ version: string; hash: string; file: string | null }>> {
  const rows = await ds.query('SELECT version, hash, file FROM policy_versions ORDER BY version');
  return rows.map((r: { version: string; hash: string; file: string | null }) => ({ version: r.version, hash: r.hash, file: r.file }));
}

async function started(policyFile?: string, ds: DataSource = store.ds): Promise<Gateway> {
  return startGateway(configFor(policyFile), { ds });
}

describe('at start', () => {
  test('the first start records its version, with the hash of its content and the file it came from', async () => {
    const gw = await started();
    try {
      expect(gw.policy).toMatchObject({ declaredVersion: '2026-12-02.1', hash: CURRENT_HASH, version: `2026-12-02.1+${CURRENT_HASH}` });
      expect(await ledger()).toEqual([{ version: '2026-12-02.1', hash: CURRENT_HASH, file: path.join('schema', 'policy.yaml') }]);
      const [{ first_seen_at: seen }] = await store.ds.query('SELECT first_seen_at FROM policy_versions');
      expect(seen).not.toBeNull();
    } finally {
      await gw.close();
    }
  });

  test('a restart with the same content, comments and key order aside, starts and changes nothing', async () => {
    const [before] = await store.ds.query('SELECT first_seen_at FROM policy_versions');
    const reordered = current.replace('\nrules:', '\n# reviewed once more\nrules:').replace(/( {2}research:\n)( {4}basis: .*\n)( {4}scope: .*\n)/, '$1$3$2');
    expect(reordered).not.toBe(current);
    const gw = await started(file('reordered.yaml', reordered));
    await gw.close();
    expect(gw.policy.version).toBe(`2026-12-02.1+${CURRENT_HASH}`);
    expect(await ledger()).toEqual([{ version: '2026-12-02.1', hash: CURRENT_HASH, file: path.join('schema', 'policy.yaml') }]);
    expect(await store.ds.query('SELECT first_seen_at FROM policy_versions')).toEqual([before]);
  });

  test('the same version with edited content refuses to start, naming the version and both hashes', async () => {
    const edited = file('edited.yaml', variant('2026-12-02.1', 'A'));
    const editedHash = compilePolicy(loadPolicy(edited)).hash;
    expect(editedHash).not.toBe(CURRENT_HASH);
    const refusal = await started(edited).then(() => null, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(PolicyVersionChangedError);
    expect(refusal).toMatchObject({ code: 'POLICY_VERSION_CHANGED', version: '2026-12-02.1', recordedHash: CURRENT_HASH, hash: editedHash });
    const message = (refusal as Error).message;
    for (const part of ['POLICY_VERSION_CHANGED', '"2026-12-02.1"', CURRENT_HASH, editedHash, 'schema/policy.yaml', 'new "version:"']) expect(message).toContain(part);
    expect(await ledger()).toEqual([{ version: '2026-12-02.1', hash: CURRENT_HASH, file: path.join('schema', 'policy.yaml') }]);
  });

  test('the edited content under a new version starts, and is recorded beside the old one', async () => {
    const bumped = file('bumped.yaml', variant('2026-12-02.2', 'A'));
    const gw = await started(bumped);
    await gw.close();
    expect(gw.policy.version).toMatch(/^2026-12-02\.2\+[0-9a-f]{8}$/);
    expect(gw.policy.hash).not.toBe(CURRENT_HASH);
    expect((await ledger()).map((r) => [r.version, r.hash])).toEqual([['2026-12-02.1', CURRENT_HASH], ['2026-12-02.2', gw.policy.hash]]);
  });

  test('several gateways starting together with a new version record it once', async () => {
    const f = file('together.yaml', variant('2026-12-03.1', 'M:PHONE'));
    const stores = [store.ds, ...(await Promise.all([1, 2, 3].map(() => secondDataSource(store))))];
    try {
      const gateways = await Promise.all(stores.map((ds) => started(f, ds)));
      await Promise.all(gateways.map((g) => g.close()));
      expect(new Set(gateways.map((g) => g.policy.version)).size).toBe(1);
      expect((await ledger()).filter((r) => r.version === '2026-12-03.1')).toEqual([{ version: '2026-12-03.1', hash: gateways[0].policy.hash, file: f }]);
    } finally {
      for (const ds of stores.slice(1)) await ds.destroy();
    }
  });

  test('two recordings racing with one version for two contents: exactly one wins, the other is refused', async () => {
    const a = compilePolicy(loadPolicy(file('race-a.yaml', variant('2026-12-04.1', 'A'))));
    const b = compilePolicy(loadPolicy(file('race-b.yaml', variant('2026-12-04.1', 'M:PHONE'))));
    const stores = [store.ds, await secondDataSource(store)];
    try {
      const outcomes = await Promise.allSettled([recordPolicyVersion(stores[0], a), recordPolicyVersion(stores[1], b), recordPolicyVersion(stores[1], a), recordPolicyVersion(stores[0], b)]);
      const [row] = (await ledger()).filter((r) => r.version === '2026-12-04.1');
      const winner = row.hash === a.hash ? a : b;
      // Whoever came first, every recording of the winner's content succeeds and every other is refused; one of them inserted the row.
      outcomes.forEach((o, i) => {
        const policy = i % 2 === 0 ? a : b;
        if (policy === winner) expect(o.status).toBe('fulfilled');
        else expect(o).toMatchObject({ status: 'rejected', reason: { code: 'POLICY_VERSION_CHANGED', recordedHash: winner.hash, hash: policy.hash } });
      });
      expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === true)).toHaveLength(1);
    } finally {
      await stores[1].destroy();
    }
  });

  test('losing the race (another start inserted the row between our read and our insert): the duplicate key is read back and compared', async () => {
    const same = compilePolicy(loadPolicy(defaultPolicyPath()));
    const other = compilePolicy(loadPolicy(file('lost.yaml', variant('2026-12-02.1', 'A'))));
    const repo = store.ds.getRepository(PolicyVersion);
    // The row exists; the first read is made to miss it, as if the other start's INSERT landed just after it.
    const miss = () => jest.spyOn(repo, 'findOneBy').mockResolvedValueOnce(null);
    const insert = jest.spyOn(repo, 'insert');
    try {
      miss();
      await expect(recordPolicyVersion(store.ds, same)).resolves.toBe(false);
      miss();
      await expect(recordPolicyVersion(store.ds, other)).rejects.toMatchObject({ code: 'POLICY_VERSION_CHANGED', recordedHash: CURRENT_HASH, hash: other.hash });
      expect(insert).toHaveBeenCalledTimes(2); // each tried to insert, hit the duplicate key, and read the row back
    } finally {
      jest.restoreAllMocks();
    }
    expect((await ledger()).filter((r) => r.version === '2026-12-02.1')).toEqual([{ version: '2026-12-02.1', hash: CURRENT_HASH, file: path.join('schema', 'policy.yaml') }]);
  });

  test('a version too long to stamp on an audit record (64 characters with its hash) refuses to start', async () => {
    const long = `2026-12-05.${'9'.repeat(50)}`;
    await expect(started(file('long.yaml', variant(long)))).rejects.toThrow(/too long/);
    expect((await ledger()).map((r) => r.version)).not.toContain(long);
  });
});

describe('what the records carry', () => {
  test('the disclosure extension and every audit batch and record carry <declared>+<hash>', async () => {
    const gw = await started();
    let disclosed: unknown;
    try {
      const res = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.mall}`, 'x-purpose': 'service.fulfilment' },
        body: JSON.stringify({ query: '{ user(id: "1") { username phone } }' }),
      });
      disclosed = ((await res.json()) as { extensions: { disclosure: { policyVersion: string } } }).extensions.disclosure.policyVersion;
    } finally {
      await gw.close(); // commits and projects
    }
    expect(disclosed).toBe(`2026-12-02.1+${CURRENT_HASH}`);
    for (const table of ['audit_batches', 'audit_events']) {
      const versions = await store.ds.query(`SELECT DISTINCT policy_version AS v FROM ${table}`);
      expect(versions.length).toBeGreaterThan(0);
      for (const { v } of versions) expect([table, v]).toEqual([table, expect.stringMatching(/^\d{4}-\d\d-\d\d\.\d+\+[0-9a-f]{8}$/)]);
      expect(versions.map((r: { v: string }) => r.v)).toContain(`2026-12-02.1+${CURRENT_HASH}`);
    }
  });
});

describe('npm start', () => {
  test('refuses an edited policy under a known version: exit 1, one line naming the version and both hashes', async () => {
    const edited = file('edited-start.yaml', variant('2026-12-02.1', 'M:PHONE'));
    const editedHash = compilePolicy(loadPolicy(edited)).hash;
    const env: NodeJS.ProcessEnv = {
      ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile),
      PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', POLICY_FILE: edited,
    };
    delete env.DATABASE_URL;
    if (store.databaseUrl) env.DATABASE_URL = store.databaseUrl;
    const outcome = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist', 'src', 'server.js')], { cwd: ROOT, env, timeout: 60_000 })
      .then(() => ({ code: 0, stderr: '' }), (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }));
    expect(outcome.code).toBe(1);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PurposeGate: start failed: POLICY_VERSION_CHANGED: policy version "2026-12-02\.1" is recorded in this store with hash /);
    expect(lines[0]).toContain(CURRENT_HASH);
    expect(lines[0]).toContain(editedHash);
  });
});
