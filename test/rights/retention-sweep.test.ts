import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { toDbTime } from '../../src/audit/columns';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { CategorySweep, formatSweepReport, sweepPlan, sweepRetention, SweepTarget } from '../../src/rights/retention-sweep';
import { KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/**
 * `retention:sweep` (SPEC §7, schema/policy.yaml `retention:`): the values past their category's
 * period are set to NULL in the stores, exactly those, counted per category; a dry run counts the
 * same and writes nothing; the gateway then serves null, even once the row is fresh again.
 */
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'retention-sweep.js');
const run = promisify(execFile);

let gw: TestGateway;
let plan: SweepTarget[];
beforeAll(async () => {
  gw = await startTestGateway();
  plan = sweepPlan(gw.store.ds, gw.gateway.policy, buildGatewaySchema());
});
afterAll(async () => { await gw?.close(); });

const DAY = 86_400_000;
const AT = new Date(TEST_TODAY);
const daysBefore = (days: number) => toDbTime(new Date(AT.getTime() - days * DAY).toISOString());

const DEVICE_COLUMNS = 'id, model, os_version, device_id, mac_address, ip_address, lat, lng, accuracy_m, wifi_bssid, city';
const ORDER_COLUMNS = 'id, total_amount, currency, recipient_name, recipient_phone, shipping_address';
type Row = Record<string, unknown>;
const normal = (rows: Row[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : typeof v === 'number' || typeof v === 'string' ? (k === 'id' || k === 'lat' || k === 'lng' || k === 'accuracy_m' || k === 'total_amount' ? Number(v) : v) : String(v)])));
async function snapshot(): Promise<{ devices: Row[]; orders: Row[] }> {
  return {
    devices: normal(await gw.store.ds.query(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY id`)),
    orders: normal(await gw.store.ds.query(`SELECT ${ORDER_COLUMNS} FROM orders ORDER BY id`)),
  };
}

describe('the plan', () => {
  it('derives each rule\'s columns from the schema\'s categories and the entities\' columns', () => {
    const columns = Object.fromEntries(plan.map((t) => [t.rule.category, { table: t.table, ts: t.timestampColumn, fields: t.fields.map((f) => [f.field, f.columns]) }]));
    expect(columns).toEqual({
      'location.precise': { table: 'devices', ts: 'last_seen_at', fields: [['wifiBssid', ['wifi_bssid']], ['location', ['lat', 'lng', 'accuracy_m']]] },
      'location.network': { table: 'devices', ts: 'last_seen_at', fields: [['ipAddress', ['ip_address']]] },
      'device.identifier': { table: 'devices', ts: 'last_seen_at', fields: [['deviceId', ['device_id']], ['macAddress', ['mac_address']]] },
      'device.info': { table: 'devices', ts: 'last_seen_at', fields: [['model', ['model']], ['osVersion', ['os_version']]] },
      'location.coarse': { table: 'devices', ts: 'last_seen_at', fields: [['city', ['city']]] },
      'identity.name': { table: 'orders', ts: 'created_at', fields: [['recipientName', ['recipient_name']]] },
      'contact.phone': { table: 'orders', ts: 'created_at', fields: [['recipientPhone', ['recipient_phone']]] },
      'contact.address': { table: 'orders', ts: 'created_at', fields: [['shippingAddress', ['shipping_address']]] },
    });
  });
});

describe('a sweep at the test clock', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  const zero = (c: CategorySweep) => ({ ...c, rows: 0, values: 0, byField: Object.fromEntries(Object.keys(c.byField).map((f) => [f, 0])) });
  const EXPECTED: CategorySweep[] = [
    // Alice's device (100 days), Bob's (400 days), Lily's (200 days, her Wi-Fi BSSID already empty); Tom's is exactly 90 days old: kept.
    { category: 'location.precise', entity: 'Device', days: 90, rows: 3, values: 5, byField: { wifiBssid: 2, location: 3 } },
    { category: 'location.network', entity: 'Device', days: 180, rows: 2, values: 2, byField: { ipAddress: 2 } },
    { category: 'device.identifier', entity: 'Device', days: 365, rows: 1, values: 2, byField: { deviceId: 1, macAddress: 1 } },
    { category: 'device.info', entity: 'Device', days: 365, rows: 1, values: 2, byField: { model: 1, osVersion: 1 } },
    { category: 'location.coarse', entity: 'Device', days: 365, rows: 1, values: 1, byField: { city: 1 } },
    // Bob's order, 1096 days old.
    { category: 'identity.name', entity: 'Order', days: 1095, rows: 1, values: 1, byField: { recipientName: 1 } },
    { category: 'contact.phone', entity: 'Order', days: 1095, rows: 1, values: 1, byField: { recipientPhone: 1 } },
    { category: 'contact.address', entity: 'Order', days: 1095, rows: 1, values: 1, byField: { shippingAddress: 1 } },
  ];

  beforeAll(async () => {
    const { ds } = gw.store;
    // Everything seen and ordered yesterday; then a few rows into the past.
    await ds.query('UPDATE devices SET last_seen_at = ?', [daysBefore(1)]);
    await ds.query('UPDATE orders SET created_at = ?', [daysBefore(1)]);
    for (const [id, days] of [[1, 100], [2, 400], [3, 200], [4, 90]]) await ds.query('UPDATE devices SET last_seen_at = ? WHERE id = ?', [daysBefore(days), id]);
    await ds.query('UPDATE devices SET wifi_bssid = NULL WHERE id = 3');
    await ds.query('UPDATE orders SET created_at = ? WHERE id = 2', [daysBefore(1096)]);
    before = await snapshot();
  });

  it('a dry run counts per category and writes nothing, in any batch size', async () => {
    for (const batchSize of [1, 2, 500]) {
      let total = -1;
      let done = 0;
      const report = await sweepRetention(gw.store.ds, plan, { at: AT, batchSize, dryRun: true, onStart: (n) => { total = n; }, onProgress: (n) => { done = n; } });
      expect(report).toEqual({ at: AT.toISOString(), dryRun: true, categories: EXPECTED });
      expect([total, done]).toEqual([11, 11]);
      expect(await snapshot()).toEqual(before);
    }
  });

  it('the sweep nulls exactly those values, and reports the same counts', async () => {
    const report = await sweepRetention(gw.store.ds, plan, { at: AT, batchSize: 2 });
    expect(report).toEqual({ at: AT.toISOString(), dryRun: false, categories: EXPECTED });
    const gone = (row: Row, columns: string[]) => ({ ...row, ...Object.fromEntries(columns.map((c) => [c, null])) });
    const precise = ['lat', 'lng', 'accuracy_m', 'wifi_bssid'];
    expect(await snapshot()).toEqual({
      devices: [
        gone(before.devices[0], precise),
        gone(before.devices[1], [...precise, 'ip_address', 'device_id', 'mac_address', 'model', 'os_version', 'city']),
        gone(before.devices[2], [...precise, 'ip_address']),
        before.devices[3],
        before.devices[4],
      ],
      orders: [before.orders[0], gone(before.orders[1], ['recipient_name', 'recipient_phone', 'shipping_address']), ...before.orders.slice(2)],
    });
    expect(before.devices[1].model).toBe('Pixel 8');
    expect(before.orders[1].recipient_name).toBe('Bob Li');
    expect(formatSweepReport(report).split('\n')[1]).toBe('location.precise     removed 5 values in 3 Device rows (older than 90 days): wifiBssid 2, location 3');
    expect(formatSweepReport(report)).not.toMatch(/Bob|Pixel|Xiamen|203\.0/);
  });

  it('a second sweep finds nothing left', async () => {
    const report = await sweepRetention(gw.store.ds, plan, { at: AT, batchSize: 500 });
    expect(report.categories).toEqual(EXPECTED.map(zero));
  });

  it('the gateway serves null: denied while expired, and empty (not denied) once the device is seen again', async () => {
    const expired = await gw.gql(KEYS.risk, '{ device(id: 2) { model deviceId ipAddress city wifiBssid location { lat } } }', { purpose: 'security.risk-control' });
    expect(expired.body.data.device).toEqual({ model: null, deviceId: null, ipAddress: null, city: null, wifiBssid: null, location: null });
    expect(new Set(expired.body.errors.map((e: { extensions: { reason: string } }) => e.extensions.reason))).toEqual(new Set(['RETENTION_EXPIRED']));

    await gw.store.ds.query('UPDATE devices SET last_seen_at = ? WHERE id IN (1, 2)', [daysBefore(0)]);
    await gw.store.ds.query('UPDATE orders SET created_at = ? WHERE id = 2', [daysBefore(0)]);
    const alice = await gw.gql(KEYS.risk, '{ device(id: 1) { model deviceId ipAddress city wifiBssid location { lat } } }', { purpose: 'security.risk-control' });
    expect(alice.body.errors).toBeUndefined();
    expect(alice.body.data.device).toEqual({ model: 'iPhone 15', deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', ipAddress: '203.0.113.42', city: 'Xiamen', wifiBssid: null, location: null });
    const bob = await gw.gql(KEYS.risk, '{ device(id: 2) { model deviceId city } }', { purpose: 'security.risk-control' });
    expect([bob.body.errors, bob.body.data.device]).toEqual([undefined, { model: null, deviceId: null, city: null }]);
    const order = await gw.gql(KEYS.mall, '{ order(id: 2) { orderNo recipientName recipientPhone shippingAddress totalAmount } }', { purpose: 'service.fulfilment' });
    expect([order.body.errors, order.body.data.order]).toEqual([undefined, { orderNo: 'MP-2026-0002', recipientName: null, recipientPhone: null, shippingAddress: null, totalAmount: 4500 }]);
  });
});

describe('npm run retention:sweep', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const store = gw.store;
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile) };
    delete env.DATABASE_URL;
    if (store.databaseUrl) Object.assign(env, { DATABASE_URL: store.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd: ROOT, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  it('--dry-run prints the counts per category and writes nothing; then the sweep removes them, with a progress bar on stderr', async () => {
    const { ds } = gw.store;
    // The command runs on the real clock: rows far in the future are kept whatever the day, one device from 2000 is past every period.
    await ds.query('UPDATE devices SET last_seen_at = ?', ['2099-01-01 00:00:00.000']);
    await ds.query('UPDATE orders SET created_at = ?', ['2099-01-01 00:00:00.000']);
    await ds.query('UPDATE devices SET last_seen_at = ? WHERE id = 4', ['2000-01-01 00:00:00.000']);
    const before = await snapshot();

    const dry = await cli(['--dry-run', '--batch', '1']);
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^retention sweep at \S+ \(dry run: nothing removed\)$/);
    expect(lines.slice(1)).toEqual([
      'location.precise     would remove 2 values in 1 Device rows (older than 90 days): wifiBssid 1, location 1',
      'location.network     would remove 1 values in 1 Device rows (older than 180 days): ipAddress 1',
      'device.identifier    would remove 2 values in 1 Device rows (older than 365 days): deviceId 1, macAddress 1',
      'device.info          would remove 2 values in 1 Device rows (older than 365 days): model 1, osVersion 1',
      'location.coarse      would remove 1 values in 1 Device rows (older than 365 days): city 1',
      'identity.name        would remove 0 values in 0 Order rows (older than 1095 days): recipientName 0',
      'contact.phone        would remove 0 values in 0 Order rows (older than 1095 days): recipientPhone 0',
      'contact.address      would remove 0 values in 0 Order rows (older than 1095 days): shippingAddress 0',
      'total: would remove 8 values',
    ]);
    expect(dry.stderr).toMatch(/rows .* 5\/5 100%/);
    expect(await snapshot()).toEqual(before);

    const real = await cli([]);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('location.precise     removed 2 values in 1 Device rows');
    expect(real.stdout.trim().split('\n').pop()).toBe('total: removed 8 values');
    const after = await snapshot();
    expect(after.devices[3]).toEqual({ ...before.devices[3], model: null, os_version: null, device_id: null, mac_address: null, ip_address: null, lat: null, lng: null, accuracy_m: null, wifi_bssid: null, city: null });
    expect({ ...after, devices: after.devices.filter((d) => d.id !== 4) }).toEqual({ ...before, devices: before.devices.filter((d) => d.id !== 4) });
  });

  it('refuses a bad --batch', async () => {
    const out = await cli(['--batch', '0']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/--batch/);
  });
});
