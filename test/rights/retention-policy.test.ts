import { toDbTime } from '../../src/audit/columns';
import { fixedClock, useClock } from '../../src/clock';
import { ALL_SUBJECTS_CASE, GqlResponse, KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/**
 * SPEC §7 retention over real HTTP: a value past its category's period (schema/policy.yaml,
 * `retention:`) on its row is denied RETENTION_EXPIRED to every purpose, after SUBJECT_ERASED and
 * before the consent conditions; only the fields of the rule's entity (Device, Order) are affected.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const DAY = 86_400_000;
const TODAY = Date.parse(TEST_TODAY);
const daysBefore = (days: number, extraMs = 0) => new Date(TODAY - days * DAY - extraMs).toISOString();

async function setLastSeen(deviceId: number, iso: string | null): Promise<void> {
  await gw.store.ds.query('UPDATE devices SET last_seen_at = ? WHERE id = ?', [iso === null ? null : toDbTime(iso), deviceId]);
}
async function setOrderCreated(orderId: number, iso: string): Promise<void> {
  await gw.store.ds.query('UPDATE orders SET created_at = ? WHERE id = ?', [toDbTime(iso), orderId]);
}

/** Denials of a response by path ("device.location"): [reason, category]. */
function denials(r: GqlResponse): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const e of r.body.errors ?? []) {
    expect(e.extensions.code).toBe('FIELD_DENIED');
    out[e.path.join('.')] = [e.extensions.reason, e.extensions.category];
  }
  return out;
}

async function run(key: string, purpose: string, query: string, headers: Record<string, string> = {}): Promise<GqlResponse> {
  const r = await gw.gql(key, query, { purpose, headers });
  expect(r.status).toBe(200);
  return r;
}

const risk = (query: string) => run(KEYS.risk, 'security.risk-control', query);
const LOCATION = 'location { lat lng accuracyM }';

describe('Alice: her device last seen 100 days ago, her order 1096 days old', () => {
  beforeAll(async () => {
    await setLastSeen(1, daysBefore(100));
    await setOrderCreated(1, daysBefore(1096));
  });

  it('risk-engine: precise location expired (90 days); network, identifiers, device info and the device city still kept', async () => {
    const r = await risk(`{ device(id: 1) { model deviceId ipAddress ${LOCATION} wifiBssid city } }`);
    expect(r.body.data.device).toEqual({
      model: 'iPhone 15', deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', ipAddress: '203.0.113.42', location: null, wifiBssid: null, city: 'Xiamen',
    });
    expect(denials(r)).toEqual({
      'device.location': ['RETENTION_EXPIRED', 'location.precise'],
      'device.wifiBssid': ['RETENTION_EXPIRED', 'location.precise'],
    });
    expect(r.body.errors[0].extensions.purpose).toBe('security.risk-control');
    expect(r.body.extensions.disclosure).toMatchObject({ allowed: 4, masked: 0, denied: 2 });
  });

  it('the same through the user\'s device list, and User.city is unaffected (the rule is on Device)', async () => {
    const r = await risk(`{ user(id: 1) { city phone realName devices { ${LOCATION} ipAddress city } } }`);
    expect(r.body.data.user).toEqual({ city: 'Xiamen', phone: '13812345678', realName: 'Alice Wang', devices: [{ location: null, ipAddress: '203.0.113.42', city: 'Xiamen' }] });
    expect(denials(r)).toEqual({ 'user.devices.0.location': ['RETENTION_EXPIRED', 'location.precise'] });
  });

  it('the order\'s recipient data is expired (1095 days); the user\'s own phone and name are not, nor the order\'s amount', async () => {
    const r = await risk('{ order(id: 1) { orderNo totalAmount recipientName recipientPhone shippingAddress user { phone realName } } }');
    expect(r.body.data.order).toEqual({
      orderNo: 'MP-2026-0001', totalAmount: 12900, recipientName: null, recipientPhone: null, shippingAddress: null, user: { phone: '13812345678', realName: 'Alice Wang' },
    });
    expect(denials(r)).toEqual({
      'order.recipientName': ['RETENTION_EXPIRED', 'identity.name'],
      'order.recipientPhone': ['RETENTION_EXPIRED', 'contact.phone'],
      'order.shippingAddress': ['RETENTION_EXPIRED', 'contact.address'],
    });
    // The payment account's holder name is identity.name too, but the period is the order's: kept.
    const holder = await risk('{ user(id: 1) { paymentAccounts { holderName } } }');
    expect([holder.body.data.user.paymentAccounts.map((a: { holderName: string }) => a.holderName), holder.body.errors]).toEqual([['Alice Wang', 'Alice Wang'], undefined]);
    // Through the user's order list as well.
    const list = await risk('{ user(id: 1) { phone orders { edges { node { recipientPhone totalAmount } } } } }');
    expect(list.body.data.user).toEqual({ phone: '13812345678', orders: { edges: [{ node: { recipientPhone: null, totalAmount: 12900 } }] } });
    expect(denials(list)).toEqual({ 'user.orders.edges.0.node.recipientPhone': ['RETENTION_EXPIRED', 'contact.phone'] });
  });

  it('the audit records each expired field as a DENY with reason RETENTION_EXPIRED, and the explanation says so', async () => {
    const r = await run(KEYS.risk, 'security.risk-control', `{ device(id: 1) { ${LOCATION} ipAddress } order(id: 1) { recipientPhone } user(id: 1) { phone } }`, { 'x-explain': '1' });
    const requestId = r.body.extensions.disclosure.requestId;
    const explained = Object.fromEntries(r.body.extensions.disclosure.fields.map((f: { path: string[]; decision: string; reason: string }) => [f.path.join('.'), [f.decision, f.reason]]));
    expect(explained).toMatchObject({ 'device.location': ['DENY', 'RETENTION_EXPIRED'], 'order.recipientPhone': ['DENY', 'RETENTION_EXPIRED'], 'device.ipAddress': ['ALLOW', expect.any(String)], 'user.phone': ['ALLOW', expect.any(String)] });
    await gw.gateway.audit.settled();
    const rows: Record<string, unknown>[] = await gw.store.ds.query(
      'SELECT entity, entity_id, field, category, decision, reason, subject_id, client_id FROM audit_events WHERE request_id = ? ORDER BY entity, field', [requestId]);
    expect(rows.map((x) => ({ ...x, entity_id: String(x.entity_id), subject_id: Number(x.subject_id) }))).toEqual([
      { entity: 'Device', entity_id: '1', field: 'ipAddress', category: 'location.network', decision: 'ALLOW', reason: 'POLICY_ALLOWS', subject_id: 1, client_id: 'risk-engine' },
      { entity: 'Device', entity_id: '1', field: 'location', category: 'location.precise', decision: 'DENY', reason: 'RETENTION_EXPIRED', subject_id: 1, client_id: 'risk-engine' },
      { entity: 'Order', entity_id: '1', field: 'recipientPhone', category: 'contact.phone', decision: 'DENY', reason: 'RETENTION_EXPIRED', subject_id: 1, client_id: 'risk-engine' },
      { entity: 'User', entity_id: '1', field: 'phone', category: 'contact.phone', decision: 'ALLOW', reason: 'POLICY_ALLOWS', subject_id: 1, client_id: 'risk-engine' },
    ]);
  });

  it('every purpose is refused the expired value: account, legal, personalization', async () => {
    const account = await run(KEYS.account, 'account', '{ order(id: 1) { recipientPhone } user(id: 1) { phone } }');
    expect([account.body.data, denials(account)]).toEqual([
      { order: { recipientPhone: null }, user: { phone: '13812345678' } }, { 'order.recipientPhone': ['RETENTION_EXPIRED', 'contact.phone'] },
    ]);
    const legal = await gw.gql(KEYS.legal, `{ device(id: 1) { ${LOCATION} ipAddress } }`, { headers: { 'x-purpose': 'legal.public-safety', 'x-case-ref': ALL_SUBJECTS_CASE } });
    expect([legal.body.data.device.ipAddress, denials(legal)]).toEqual(['203.0.113.42', { 'device.location': ['RETENTION_EXPIRED', 'location.precise'] }]);
    // Alice consented to personalization: the IP is masked as usual, the location expired rather than coarsened.
    const mall = await run(KEYS.mall, 'personalization', `{ device(id: 1) { ${LOCATION} ipAddress } }`);
    expect([mall.body.data.device, denials(mall)]).toEqual([{ location: null, ipAddress: '203.0.113.0' }, { 'device.location': ['RETENTION_EXPIRED', 'location.precise'] }]);
  });

  it('the longer period of the IP address runs out too: 181 days after the last contact', async () => {
    await setLastSeen(1, daysBefore(181));
    try {
      const r = await risk(`{ device(id: 1) { ipAddress deviceId city ${LOCATION} } }`);
      expect(r.body.data.device).toEqual({ ipAddress: null, deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', city: 'Xiamen', location: null });
      expect(denials(r)).toEqual({ 'device.ipAddress': ['RETENTION_EXPIRED', 'location.network'], 'device.location': ['RETENTION_EXPIRED', 'location.precise'] });
      // And a year after, everything of the device's with a period.
      await setLastSeen(1, daysBefore(366));
      const old = await risk(`{ device(id: 1) { model osVersion deviceId macAddress ipAddress city } }`);
      expect(old.body.data.device).toEqual({ model: null, osVersion: null, deviceId: null, macAddress: null, ipAddress: null, city: null });
      expect(Object.values(denials(old)).map(([reason]) => reason)).toEqual(Array(6).fill('RETENTION_EXPIRED'));
    } finally {
      await setLastSeen(1, daysBefore(100));
    }
  });
});

describe('which condition wins', () => {
  it('SUBJECT_ERASED wins over RETENTION_EXPIRED (Erin: erased, her device last seen 179 days ago, her order old)', async () => {
    await setOrderCreated(5, daysBefore(2000));
    const r = await risk(`{ device(id: 5) { ${LOCATION} ipAddress } order(id: 5) { recipientPhone totalAmount } }`);
    expect(r.body.data).toEqual({ device: { location: null, ipAddress: null }, order: { recipientPhone: null, totalAmount: null } });
    expect(denials(r)).toEqual({
      'device.location': ['SUBJECT_ERASED', 'location.precise'],
      'device.ipAddress': ['SUBJECT_ERASED', 'location.network'],
      'order.recipientPhone': ['SUBJECT_ERASED', 'contact.phone'],
      'order.totalAmount': ['SUBJECT_ERASED', 'transaction.order'],
    });
  });

  it('a consent purpose gets RETENTION_EXPIRED rather than CONSENT_MISSING (Bob, no consent, personalization, his device 100 days old)', async () => {
    await setLastSeen(2, daysBefore(100));
    const r = await run(KEYS.mall, 'personalization', `{ device(id: 2) { ${LOCATION} wifiBssid ipAddress deviceId model } }`);
    expect(r.body.data.device).toEqual({ location: null, wifiBssid: null, ipAddress: null, deviceId: null, model: null });
    expect(denials(r)).toEqual({
      'device.location': ['RETENTION_EXPIRED', 'location.precise'],
      'device.wifiBssid': ['RETENTION_EXPIRED', 'location.precise'],
      'device.ipAddress': ['CONSENT_MISSING', 'location.network'],
      'device.deviceId': ['CONSENT_MISSING', 'device.identifier'],
      'device.model': ['CONSENT_MISSING', 'device.info'],
    });
  });

  it('the order holds for a cell the table denies: past retention RETENTION_EXPIRED, within it PURPOSE_FORBIDS (fulfilment never sees a precise location)', async () => {
    // Bob's device (100 days): expired; Lily's (last seen 3 days ago): within its period.
    const r = await run(KEYS.mall, 'service.fulfilment', `{ bob: order(id: 2) { user { devices { ${LOCATION} city } } } lily: order(id: 3) { user { devices { ${LOCATION} city } } } }`);
    expect(denials(r)).toEqual({
      'bob.user.devices.0.location': ['RETENTION_EXPIRED', 'location.precise'],
      'lily.user.devices.0.location': ['PURPOSE_FORBIDS', 'location.precise'],
    });
    expect([r.body.data.bob.user.devices[0].city, r.body.data.lily.user.devices[0].city]).toEqual(['Shanghai', 'Xiamen']);
  });
});

describe('the exact boundary, by the gateway clock', () => {
  async function atClock<T>(iso: string, body: () => Promise<T>): Promise<T> {
    const restore = useClock(fixedClock(iso));
    try {
      return await body();
    } finally {
      restore();
    }
  }

  it('a device last seen exactly 90 days before is kept; one millisecond later it is expired', async () => {
    await setLastSeen(3, daysBefore(90));
    const read = () => risk(`{ device(id: 3) { ${LOCATION} } }`);
    const kept = await atClock(TEST_TODAY, read);
    expect([kept.body.data.device.location, kept.body.errors]).toEqual([{ lat: 24.4801, lng: 118.085, accuracyM: 20 }, undefined]);
    const expired = await atClock(new Date(TODAY + 1).toISOString(), read);
    expect([expired.body.data.device.location, denials(expired)]).toEqual([null, { 'device.location': ['RETENTION_EXPIRED', 'location.precise'] }]);
    // A second short of 90 days: kept.
    await setLastSeen(3, new Date(TODAY - 90 * DAY + 1000).toISOString());
    expect((await atClock(new Date(TODAY + 999).toISOString(), read)).body.data.device.location).not.toBeNull();
  });

  it('an order exactly 1095 days old keeps its recipient; one millisecond later it is expired', async () => {
    await setOrderCreated(2, daysBefore(1095));
    const read = () => risk('{ order(id: 2) { recipientPhone } }');
    expect((await atClock(TEST_TODAY, read)).body.data.order.recipientPhone).toBe('13987654321');
    const expired = await atClock(new Date(TODAY + 1).toISOString(), read);
    expect([expired.body.data.order.recipientPhone, denials(expired)]).toEqual([null, { 'order.recipientPhone': ['RETENTION_EXPIRED', 'contact.phone'] }]);
  });

  it('a device never seen (no last contact) has nothing to run from: kept', async () => {
    await setLastSeen(4, null);
    const r = await risk(`{ device(id: 4) { ${LOCATION} ipAddress lastSeenAt } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.device).toEqual({ location: { lat: 26.0745, lng: 119.2965, accuracyM: 25 }, ipAddress: '198.51.100.8', lastSeenAt: null });
  });
});

describe('the operation check (SPEC §10) tells what can deny each field', () => {
  it('RETENTION_EXPIRED is a condition of exactly the fields of the rule\'s entity: Device.location, Device.city, Order.recipientPhone; not User.phone or User.city', async () => {
    const document = `{ user(id: 1) { phone city realName } device(id: 1) { location { lat } city } order(id: 1) { recipientPhone recipientName } }`;
    const r = await gw.gql(KEYS.risk, 'query C($document: String!) { checkOperation(document: $document, purpose: "security.risk-control") { fields { field conditions } } }', { variables: { document } });
    expect(r.body.errors).toBeUndefined();
    const conditions = Object.fromEntries(r.body.data.checkOperation.fields.map((f: { field: string; conditions: string[] }) => [f.field, f.conditions]));
    // What execution above actually does: only these can be denied RETENTION_EXPIRED.
    expect(conditions).toEqual({
      'User.phone': ['SUBJECT_ERASED'],
      'User.city': ['SUBJECT_ERASED'],
      'User.realName': ['SUBJECT_ERASED'],
      'Device.location': ['SUBJECT_ERASED', 'RETENTION_EXPIRED'],
      'Device.city': ['SUBJECT_ERASED', 'RETENTION_EXPIRED'],
      'Order.recipientPhone': ['SUBJECT_ERASED', 'RETENTION_EXPIRED'],
      'Order.recipientName': ['SUBJECT_ERASED', 'RETENTION_EXPIRED'],
    });
  });
});
