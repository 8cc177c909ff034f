import { DataSource } from 'typeorm';
import { DEMO_DAY, demoDayShift, loadDemoData } from '../../seeds/demo';
import { Gateway, startGateway } from '../../src/app';
import { fixedClock, useClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { Device, LegalCase, User } from '../../src/db/entities';
import { executorEnv, KEYS } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/**
 * The demo data is dated as of the day it is loaded (`npm start`, `npm run seed -- --demo`), so
 * that what a new user sees does not depend on the year they try it: loaded and read half a year
 * after the day its dates were written for, Alice's device is still recent (its precise location
 * is released to the risk engine) and the legal case can still be cited; loaded with its dates as
 * written, the same reads are refused RETENTION_EXPIRED, which is what the shift is for.
 */
const LATER = '2027-06-01T08:00:00Z';
const DAYS = 187; // whole days from DEMO_DAY (2026-11-25T12:00Z) to LATER (2027-06-01T08:00Z)

let restoreClock: () => void;
beforeAll(() => { restoreClock = useClock(fixedClock(LATER)); });
afterAll(() => restoreClock());

async function gatewayOn(ds: DataSource, store: TestStore): Promise<Gateway> {
  return startGateway(loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '0',
    ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}), ...executorEnv(),
  }), { ds });
}

async function gql(url: string, key: string, query: string, headers: Record<string, string>) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify({ query }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
}

const RISK = { 'x-purpose': 'security.risk-control' };
const ALICE_DEVICE = '{ user(id: "1") { devices { wifiBssid location { lat lng accuracyM } lastSeenAt } } }';
const LEGAL = { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'GA-2026-0117' };

test('the shift is whole days from the demo day, none before it', () => {
  expect(demoDayShift(undefined)).toBe(0);
  expect(demoDayShift(new Date('2026-01-01T00:00:00Z'))).toBe(0);
  expect(demoDayShift(DEMO_DAY)).toBe(0);
  expect(demoDayShift(new Date(LATER))).toBe(DAYS);
});

describe('loaded as of the day it is loaded', () => {
  let store: TestStore;
  let gw: Gateway;
  beforeAll(async () => {
    store = await createTestStore();
    expect(await loadDemoData(store.ds, { asOf: new Date(LATER) })).toBe(true);
    gw = await gatewayOn(store.ds, store);
  });
  afterAll(async () => {
    await gw?.close();
    await store?.drop();
  });

  test('every date moves by the same whole days; the fixed values and birth dates do not', async () => {
    const later = (iso: string) => new Date(new Date(iso).getTime() + DAYS * 86_400_000).getTime();
    const device = await store.ds.getRepository(Device).findOneByOrFail({ id: 1 });
    expect(new Date(device.lastSeenAt!).getTime()).toBe(later('2026-11-20T09:30:00Z'));
    expect(device).toMatchObject({ deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', wifiBssid: '10:20:30:40:50:60', city: 'Xiamen' });
    const erin = await store.ds.getRepository(User).findOneByOrFail({ id: 5 });
    expect(new Date(erin.erasedAt!).getTime()).toBe(later('2026-06-01T00:00:00Z'));
    expect(erin.birthDate).toBe('1992-01-30');
    const legalCase = await store.ds.getRepository(LegalCase).findOneByOrFail({ caseRef: 'GA-2026-0117' });
    expect(new Date(legalCase.expiresAt!).getTime()).toBe(later('2027-12-31T23:59:59Z'));
  });

  test('half a year on, the risk engine gets Alice\'s device location as on the demo day, and the case can be cited', async () => {
    const r = await gql(gw.url, KEYS.risk, ALICE_DEVICE, RISK);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.user.devices[0]).toMatchObject({ wifiBssid: '10:20:30:40:50:60', location: { lat: 24.4798, lng: 118.0894, accuracyM: 15 } });
    const legal = await gql(gw.url, KEYS.legal, '{ user(id: "1") { phone } }', LEGAL);
    expect(legal.status).toBe(200);
    expect(legal.body.data.user.phone).toBe('13812345678');
  });

  test('loading again, later still, changes nothing', async () => {
    expect(await loadDemoData(store.ds, { asOf: new Date('2028-01-01T00:00:00Z') })).toBe(false);
    const device = await store.ds.getRepository(Device).findOneByOrFail({ id: 1 });
    expect(new Date(device.lastSeenAt!).getTime()).toBe(new Date('2026-11-20T09:30:00Z').getTime() + DAYS * 86_400_000);
  });
});

test('with its dates as written, the same reads half a year on are refused RETENTION_EXPIRED', async () => {
  const store = await createTestStore();
  let gw: Gateway | undefined;
  try {
    await loadDemoData(store.ds);
    gw = await gatewayOn(store.ds, store);
    const r = await gql(gw.url, KEYS.risk, ALICE_DEVICE, RISK);
    expect(r.body.data.user.devices[0]).toMatchObject({ wifiBssid: null, location: null });
    expect(r.body.errors.map((e: { extensions: { reason: string } }) => e.extensions.reason)).toEqual(['RETENTION_EXPIRED', 'RETENTION_EXPIRED']);
  } finally {
    await gw?.close();
    await store.drop();
  }
});
