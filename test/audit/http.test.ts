import { toStoredRecord } from '../../src/audit/columns';
import type { StoredAuditRecord } from '../../src/audit/record';
import { verifyChains } from '../../src/audit/verify';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/**
 * SPEC §6 through the gateway, over real HTTP: a real query leaves one record per categorised
 * field it resolved (ALLOW, MASK, DENY), the disclosure report names exactly the clients that
 * received something, erasure turns every later decision into SUBJECT_ERASED, and with the
 * audit store unwritable no personal data leaves (AUDIT_UNAVAILABLE, 503) until it returns.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const AT = '2026-11-25T12:00:00.000Z'; // the tests' fixed clock

/** A request's records as audit_events holds them, once the projection has caught up with its commit. */
async function recordsOf(requestId: string): Promise<StoredAuditRecord[]> {
  await gw.gateway.audit.settled();
  return (await gw.store.ds.query('SELECT * FROM audit_events WHERE request_id = ? ORDER BY id', [requestId])).map(toStoredRecord);
}

/** A query under a purpose; returns the body and the request id the gateway stamped on it. */
async function ask(key: string, purpose: string, query: string) {
  const res = await gw.gql(key, query, { purpose });
  const requestId = res.headers.get('x-request-id')!;
  return { ...res, requestId };
}

const decisionsOf = (rows: StoredAuditRecord[]) => rows.map((r) => `${r.entity}.${r.field} ${r.category} ${r.decision}${r.mask ? `:${r.mask}` : ''} ${r.reason}`).sort();

describe('records for each decision kind', () => {
  test('after-sales reading Alice: ALLOW, MASK and DENY each recorded, with the request\'s fields and no value', async () => {
    const res = await ask(KEYS.mall, 'service.after-sales', '{ user(id: "1") { id username realName phone birthDate city isMinor } }');
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ username: 'alice', realName: 'A**** W***', phone: '138****5678', birthDate: null, city: 'Xiamen' });
    expect(res.body.extensions.disclosure).toMatchObject({ requestId: res.requestId, allowed: 2, masked: 2, denied: 1 });

    const rows = await recordsOf(res.requestId);
    expect(decisionsOf(rows)).toEqual([
      'User.birthDate identity.birthdate DENY PURPOSE_FORBIDS',
      'User.city location.coarse ALLOW POLICY_ALLOWS',
      'User.phone contact.phone MASK:PHONE POLICY_MASKS',
      'User.realName identity.name MASK:NAME POLICY_MASKS',
      'User.username profile.basic ALLOW POLICY_ALLOWS',
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({
        requestId: res.requestId, at: AT, clientId: 'mall-app', purpose: 'service.after-sales', caseRef: null, subjectId: 1, entity: 'User', entityId: '1',
        basis: 'contract', policyVersion: gw.gateway.policy.version, consentId: null,
      });
    }
    // Neither the clear values nor the masked ones are anywhere in the records. The generated
    // identifiers are checked by their form (a random UUID or hash may well contain "138"),
    // everything else by content.
    for (const r of rows) {
      expect([r.chainId, r.prevHash, r.hash]).toEqual([expect.stringMatching(/^[0-9a-f]{24}$/), expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    }
    const content = rows.map(({ requestId: _requestId, chainId: _chainId, prevHash: _prevHash, hash: _hash, ...rest }) => rest);
    expect(JSON.stringify(content)).not.toMatch(/alice|Alice|A\*|138|5678|1990|Xiamen/);
  });

  test('a consent-based purpose records the consent it relied on; a missing consent is a recorded denial', async () => {
    const tom = await ask(KEYS.mall, 'personalization', '{ user(id: "4") { city signature } }');
    const bob = await ask(KEYS.mall, 'personalization', '{ user(id: "2") { city } }');
    const [consent] = await gw.store.ds.query("SELECT id FROM consents WHERE user_id = 4 AND purpose = 'personalization'");
    expect((await recordsOf(tom.requestId)).map((r) => [r.field, r.decision, r.basis, r.consentId])).toEqual([
      ['city', 'ALLOW', 'consent', String(consent.id)],
      ['signature', 'ALLOW', 'consent', String(consent.id)],
    ]);
    expect((await recordsOf(bob.requestId)).map((r) => [r.field, r.decision, r.reason, r.consentId])).toEqual([['city', 'DENY', 'CONSENT_MISSING', null]]);
  });

  test('a legal purpose records its case reference; rows of other entities name their subject', async () => {
    const res = await gw.gql(KEYS.legal, '{ order(id: "1") { recipientPhone paymentAccount { accountNo } } }', { headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'GA-2026-0117' } });
    const rows = await recordsOf(res.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.entity, r.entityId, r.subjectId, r.field, r.category, r.caseRef])).toEqual([
      ['Order', '1', 1, 'recipientPhone', 'contact.phone', 'GA-2026-0117'],
      ['PaymentAccount', '1', 1, 'accountNo', 'financial.account', 'GA-2026-0117'],
    ]);
  });

  test('an operation without a categorised field writes nothing', async () => {
    const res = await ask(KEYS.mall, 'service.fulfilment', '{ user(id: "1") { id isMinor } }');
    expect(res.status).toBe(200);
    expect(await recordsOf(res.requestId)).toEqual([]);
  });
});

describe('who received Tom\'s data (user 4)', () => {
  const REPORT = '{ disclosureReport(subjectId: "4") { clientId categories purposes firstAt lastAt count } }';
  let expected: unknown[];

  beforeAll(async () => {
    // Received: the mall (under Tom's guardian's consent), the risk engine (in clear).
    await ask(KEYS.mall, 'personalization', '{ user(id: "4") { city } }');
    await ask(KEYS.risk, 'security.risk-control', '{ user(id: "4") { realName phone } }');
    // Asked, and were refused by scope (SPEC §11): Tom ordered through the docs app, paid with
    // no Alipay account, and never authorised the docs app. Not recipients.
    await ask(KEYS.mall, 'service.fulfilment', '{ user(id: "4") { realName phone } }');
    await ask(KEYS.alipay, 'service.payment', '{ order(id: "4") { recipientName } }');
    await ask(KEYS.docs, 'third-party-app', '{ user(id: "4") { realName phone } }');
    // Asked, and were denied everything: not a recipient.
    await ask(KEYS.analytics, 'analytics', '{ user(id: "4") { devices { model } } }');
    expected = [
      // (The personalization test above read Tom's city and signature as well.)
      { clientId: 'mall-app', categories: ['location.coarse', 'profile.extended'], purposes: ['personalization'], firstAt: AT, lastAt: AT, count: 3 },
      { clientId: 'risk-engine', categories: ['contact.phone', 'identity.name'], purposes: ['security.risk-control'], firstAt: AT, lastAt: AT, count: 2 },
    ];
  });

  test('the disclosure report names exactly the clients that received something', async () => {
    const res = await gw.gql(KEYS.security, REPORT, { purpose: 'audit.review' });
    expect(res.status).toBe(200);
    expect(res.body.data.disclosureReport).toEqual(expected);
  });

  test('each recipient\'s purposes come with their relationship scope under the policy now in force (SPEC §11)', async () => {
    const tom = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "4") { clientId purposes scopes { purpose scope declarable } } }', { purpose: 'audit.review' });
    expect(tom.body.data.disclosureReport).toEqual([
      { clientId: 'mall-app', purposes: ['personalization'], scopes: [{ purpose: 'personalization', scope: 'all', declarable: ['personalization'] }] },
      { clientId: 'risk-engine', purposes: ['security.risk-control'], scopes: [{ purpose: 'security.risk-control', scope: 'all', declarable: ['security.risk-control'] }] },
    ]);
    // Alipay reads Alice's name through her Alipay account: a recipient under the `provider` scope.
    await ask(KEYS.alipay, 'service.payment', '{ user(id: "1") { realName } }');
    const alice = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "1") { clientId scopes { purpose scope meaning } } }', { purpose: 'audit.review' });
    const alipay = alice.body.data.disclosureReport.find((r: { clientId: string }) => r.clientId === 'pay-alipay');
    expect(alipay.scopes).toEqual([{ purpose: 'service.payment', scope: 'provider', meaning: expect.stringContaining('provider') }]);
  });

  test('auditEvents filters the real records: the denials of Tom\'s data', async () => {
    const res = await gw.gql(KEYS.security, '{ auditEvents(filter: { subjectId: "4", decision: DENY }) { edges { node { clientId purpose field reason } } } }', { purpose: 'audit.review' });
    // One record per row refused by id (field `*`), none per field it would have had.
    expect(res.body.data.auditEvents.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { clientId: 'analytics-sdk', purpose: 'analytics', field: 'model', reason: 'CONSENT_MISSING' },
      { clientId: 'docs-app', purpose: 'third-party-app', field: '*', reason: 'OUT_OF_SCOPE' },
      { clientId: 'pay-alipay', purpose: 'service.payment', field: '*', reason: 'OUT_OF_SCOPE' },
      { clientId: 'mall-app', purpose: 'service.fulfilment', field: '*', reason: 'OUT_OF_SCOPE' },
    ]);
  });

  test('a non-auditor asking for it: FORBIDDEN', async () => {
    for (const [key, purpose] of [[KEYS.mall, 'service.fulfilment'], [KEYS.account, 'account'], [KEYS.risk, 'security.risk-control']]) {
      const res = await gw.gql(key, REPORT, { purpose });
      expect(res.status).toBe(403);
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.body.data ?? null).toBeNull();
    }
  });

  test('erasure returns those recipients; every later decision about Tom is SUBJECT_ERASED, and audited so', async () => {
    const res = await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "4") { userId erasedAt recipients { clientId categories purposes firstAt lastAt count } } }', { purpose: 'account' });
    expect(res.status).toBe(200);
    expect(res.body.data.requestErasure).toEqual({ userId: '4', erasedAt: AT, recipients: expected });

    const after = await ask(KEYS.risk, 'security.risk-control', '{ user(id: "4") { username phone } }');
    expect(after.body.data.user).toEqual({ username: null, phone: null });
    expect(after.body.errors.map((e: { extensions: { reason: string } }) => e.extensions.reason)).toEqual(['SUBJECT_ERASED', 'SUBJECT_ERASED']);
    expect((await recordsOf(after.requestId)).map((r) => `${r.field} ${r.decision} ${r.reason}`)).toEqual(['username DENY SUBJECT_ERASED', 'phone DENY SUBJECT_ERASED']);
  });
});

describe('fail-closed: the audit\'s batch table unwritable', () => {
  const QUERY = '{ user(id: "1") { id username realName phone } }';

  test('no personal data leaves: AUDIT_UNAVAILABLE, HTTP 503, /readyz 503; when the table is back, the gateway recovers by itself', async () => {
    await gw.store.ds.query('ALTER TABLE audit_batches RENAME TO audit_batches_unplugged');
    let failedId: string;
    try {
      const res = await ask(KEYS.mall, 'service.fulfilment', QUERY);
      failedId = res.requestId;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'AUDIT_UNAVAILABLE' } }]);
      expect(JSON.stringify(res.body)).not.toMatch(/alice|Alice|138|Wang|disclosure/);

      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.audit).toBe('unavailable');

      // What discloses nothing needs no audit and is still served.
      const plain = await gw.gql(KEYS.mall, '{ user(id: "1") { id isMinor } }');
      expect(plain.status).toBe(200);
      expect(plain.body.data.user).toEqual({ id: '1', isMinor: false });
    } finally {
      await gw.store.ds.query('ALTER TABLE audit_batches_unplugged RENAME TO audit_batches');
    }

    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    const res = await ask(KEYS.mall, 'service.fulfilment', QUERY);
    expect(res.status).toBe(200);
    expect(res.body.data.user).toEqual({ id: '1', username: 'alice', realName: 'Alice Wang', phone: '13812345678' });
    expect(await recordsOf(res.requestId)).toHaveLength(3);
    expect(await recordsOf(failedId!)).toEqual([]);
  });

  test('every record the gateway wrote here, through the outage, still verifies', async () => {
    const reports = await verifyChains(gw.store.ds);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.every((r) => r.ok)).toBe(true);
  });
});
