import { DataSource } from 'typeorm';
import { ClientRegistry } from '../src/callers/registry';
import { AppAuthorization, Client, Consent, Device, LegalCase, LegalCaseSubject, Order, OrderItem, PaymentAccount, User } from '../src/db/entities';

/** The demo data of SPEC §8: fixed ids, values and keys. Loaded on the embedded default, or by `npm run seed -- --demo`. */
export const DEMO_CLIENTS = [
  { id: 'mall-app', displayName: 'Mall integrator', kind: 'partner', key: 'demo-mall-key', purposes: ['service.fulfilment', 'service.after-sales', 'personalization'], role: 'reader' },
  { id: 'pay-alipay', displayName: 'Alipay integration', kind: 'partner', key: 'demo-alipay-key', purposes: ['service.payment'], role: 'reader', providers: ['ALIPAY'] },
  { id: 'pay-wechat', displayName: 'WeChat Pay integration', kind: 'partner', key: 'demo-wechat-key', purposes: ['service.payment'], role: 'reader', providers: ['WECHAT_PAY'] },
  { id: 'pay-unionpay', displayName: 'UnionPay bank card integration', kind: 'partner', key: 'demo-unionpay-key', purposes: ['service.payment'], role: 'reader', providers: ['BANK_CARD'] },
  { id: 'risk-engine', displayName: 'Risk engine', kind: 'internal', key: 'demo-risk-key', purposes: ['security.risk-control'], role: 'reader' },
  { id: 'analytics-sdk', displayName: 'Analytics SDK', kind: 'third-party', key: 'demo-analytics-key', purposes: ['analytics'], role: 'reader' },
  { id: 'docs-app', displayName: 'Docs app', kind: 'third-party', key: 'demo-docs-key', purposes: ['third-party-app'], role: 'reader' },
  { id: 'account-service', displayName: 'Account service', kind: 'internal', key: 'demo-account-key', purposes: ['account'], role: 'reader' },
  { id: 'legal-desk', displayName: 'Legal desk', kind: 'internal', key: 'demo-legal-key', purposes: ['legal'], role: 'reader' },
  { id: 'security-console', displayName: 'Security console', kind: 'internal', key: 'demo-security-key', purposes: ['audit.review'], role: 'auditor' },
] as const;

const t = (iso: string) => new Date(iso);

/**
 * The day the demo's dates are written for (the tests' "today"). Loaded later, every date of the
 * demo (devices last seen, orders, consents, authorisations, Erin's erasure, the legal case) is
 * moved by the whole days since, so that retention and the case's expiry treat the demo alike
 * whatever the day it is loaded on: Alice's device was last seen about five days before that day,
 * whatever the year. Birth dates are not moved (who is a minor is the privacy policy's own rule,
 * against the real date).
 */
export const DEMO_DAY = t('2026-11-25T12:00:00Z');
const DAY_MS = 86_400_000;

/** Whole days from DEMO_DAY to `asOf` (0 before it, or without one). */
export function demoDayShift(asOf?: Date): number {
  return asOf ? Math.max(0, Math.floor((asOf.getTime() - DEMO_DAY.getTime()) / DAY_MS)) : 0;
}

/** A copy of a demo row with every date moved by `days` (TypeORM writes ids back into what it inserts: never the constants themselves). */
function dated<T extends object>(row: T, days: number): T {
  const out = { ...row } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (v instanceof Date) out[k] = new Date(v.getTime() + days * DAY_MS);
  return out as T;
}

export const DEMO_USERS: Partial<User>[] = [
  { id: 1, username: 'alice', nickname: 'Ali', avatarUrl: 'https://cdn.example.com/avatars/alice.png', gender: 'FEMALE', signature: 'Printing the world', realName: 'Alice Wang', birthDate: '1990-05-17', phone: '13812345678', city: 'Xiamen' },
  { id: 2, username: 'bob', nickname: 'Bobby', avatarUrl: 'https://cdn.example.com/avatars/bob.png', gender: 'MALE', signature: null, realName: 'Bob Li', birthDate: '1985-11-02', phone: '13987654321', city: 'Shanghai' },
  { id: 3, username: 'lily', nickname: 'Lil', avatarUrl: null, gender: 'FEMALE', signature: 'Hi', realName: 'Lily Chen', birthDate: '2014-03-09', phone: '13700001111', city: 'Xiamen' },
  { id: 4, username: 'tom', nickname: 'Tommy', avatarUrl: null, gender: 'MALE', signature: null, realName: 'Tom Zhou', birthDate: '2013-08-21', phone: '13600002222', city: 'Fuzhou' },
  { id: 5, username: 'erin', nickname: 'Erin', avatarUrl: null, gender: 'FEMALE', signature: null, realName: 'Erin Xu', birthDate: '1992-01-30', phone: '13500003333', city: 'Beijing', erasedAt: t('2026-06-01T00:00:00Z') },
];

export const DEMO_PAYMENT_ACCOUNTS: Partial<PaymentAccount>[] = [
  { id: 1, userId: 1, provider: 'ALIPAY', accountNo: 'alice.wang@example.com', holderName: 'Alice Wang', cardExpiry: null },
  { id: 2, userId: 1, provider: 'BANK_CARD', accountNo: '6222021234567890123', holderName: 'Alice Wang', cardExpiry: '12/29' },
  { id: 3, userId: 2, provider: 'WECHAT_PAY', accountNo: 'wx_bob_2291', holderName: 'Bob Li', cardExpiry: null },
];

export const DEMO_DEVICES: Partial<Device>[] = [
  { id: 1, userId: 1, model: 'iPhone 15', osVersion: '18.1', deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', macAddress: 'AA:BB:CC:DD:EE:01', ipAddress: '203.0.113.42', lat: 24.4798, lng: 118.0894, accuracyM: 15, wifiBssid: '10:20:30:40:50:60', city: 'Xiamen', lastSeenAt: t('2026-11-20T09:30:00Z') },
  { id: 2, userId: 2, model: 'Pixel 8', osVersion: 'Android 15', deviceId: '9774d56d682e549c', macAddress: 'AA:BB:CC:DD:EE:02', ipAddress: '2001:db8:1:2::5', lat: 31.2304, lng: 121.4737, accuracyM: 30, wifiBssid: '10:20:30:40:50:61', city: 'Shanghai', lastSeenAt: t('2026-11-21T10:00:00Z') },
  { id: 3, userId: 3, model: 'iPad mini', osVersion: '17.6', deviceId: 'B2C3D4E5-F6A7-4811-9900-BBCCDDEEFF00', macAddress: 'AA:BB:CC:DD:EE:03', ipAddress: '198.51.100.7', lat: 24.4801, lng: 118.0850, accuracyM: 20, wifiBssid: '10:20:30:40:50:62', city: 'Xiamen', lastSeenAt: t('2026-11-22T08:00:00Z') },
  { id: 4, userId: 4, model: 'Redmi Note 13', osVersion: 'Android 14', deviceId: '3c6e0b8a9c15224a', macAddress: 'AA:BB:CC:DD:EE:04', ipAddress: '198.51.100.8', lat: 26.0745, lng: 119.2965, accuracyM: 25, wifiBssid: '10:20:30:40:50:63', city: 'Fuzhou', lastSeenAt: t('2026-11-22T12:00:00Z') },
  { id: 5, userId: 5, model: 'Huawei P60', osVersion: 'HarmonyOS 4', deviceId: '5d7f1c2b3a4e6f80', macAddress: 'AA:BB:CC:DD:EE:05', ipAddress: '198.51.100.9', lat: 39.9042, lng: 116.4074, accuracyM: 40, wifiBssid: '10:20:30:40:50:64', city: 'Beijing', lastSeenAt: t('2026-05-30T12:00:00Z') },
];

export const DEMO_ORDERS: Partial<Order>[] = [
  { id: 1, orderNo: 'MP-2026-0001', userId: 1, paymentAccountId: 1, status: 'DELIVERED', channel: 'mall-app', totalAmount: 12900, currency: 'CNY', recipientName: 'Alice Wang', recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd', createdAt: t('2026-10-03T04:12:00Z') },
  { id: 2, orderNo: 'MP-2026-0002', userId: 2, paymentAccountId: 3, status: 'SHIPPED', channel: 'mall-app', totalAmount: 4500, currency: 'CNY', recipientName: 'Bob Li', recipientPhone: '13987654321', shippingAddress: 'Shanghai, Pudong New Area, 100 Century Ave', createdAt: t('2026-10-05T06:00:00Z') },
  { id: 3, orderNo: 'MP-2026-0003', userId: 3, paymentAccountId: null, status: 'PAID', channel: 'mall-app', totalAmount: 1990, currency: 'CNY', recipientName: 'Lily Chen', recipientPhone: '13700001111', shippingAddress: 'Xiamen, Huli District, 21 Xianyue Rd', createdAt: t('2026-10-07T07:00:00Z') },
  { id: 4, orderNo: 'MP-2026-0004', userId: 4, paymentAccountId: null, status: 'PENDING', channel: 'docs-app', totalAmount: 2990, currency: 'CNY', recipientName: 'Tom Zhou', recipientPhone: '13600002222', shippingAddress: 'Fuzhou, Gulou District, 3 Wusi Rd', createdAt: t('2026-10-09T08:00:00Z') },
  { id: 5, orderNo: 'MP-2026-0005', userId: 5, paymentAccountId: null, status: 'CANCELLED', channel: 'mall-app', totalAmount: 990, currency: 'CNY', recipientName: 'Erin Xu', recipientPhone: '13500003333', shippingAddress: 'Beijing, Chaoyang District, 1 Jianguo Rd', createdAt: t('2026-05-01T09:00:00Z') },
];

export const DEMO_ORDER_ITEMS: Partial<OrderItem>[] = [
  { id: 1, orderId: 1, sku: 'PHOTO-A4-20', name: 'A4 photo prints (20)', quantity: 1, unitPrice: 9900 },
  { id: 2, orderId: 1, sku: 'FRAME-A4', name: 'A4 frame', quantity: 1, unitPrice: 3000 },
  { id: 3, orderId: 2, sku: 'CARD-100', name: 'Business cards (100)', quantity: 1, unitPrice: 4500 },
  { id: 4, orderId: 3, sku: 'STICKER-S', name: 'Sticker sheet', quantity: 1, unitPrice: 1990 },
  { id: 5, orderId: 4, sku: 'POSTER-A2', name: 'A2 poster', quantity: 1, unitPrice: 2990 },
  { id: 6, orderId: 5, sku: 'PHOTO-6IN', name: '6-inch photo print', quantity: 1, unitPrice: 990 },
];

export const DEMO_CONSENTS: Partial<Consent>[] = [
  { id: 1, userId: 1, purpose: 'personalization', clientId: null, byGuardian: false, grantedAt: t('2026-01-10T00:00:00Z'), withdrawnAt: null },
  { id: 2, userId: 1, purpose: 'marketing.push', clientId: null, byGuardian: false, grantedAt: t('2026-01-10T00:00:00Z'), withdrawnAt: null },
  { id: 3, userId: 1, purpose: 'analytics', clientId: null, byGuardian: false, grantedAt: t('2026-01-10T00:00:00Z'), withdrawnAt: null },
  { id: 4, userId: 3, purpose: 'personalization', clientId: null, byGuardian: false, grantedAt: t('2026-02-01T00:00:00Z'), withdrawnAt: null },
  { id: 5, userId: 4, purpose: 'personalization', clientId: null, byGuardian: true, grantedAt: t('2026-02-01T00:00:00Z'), withdrawnAt: null },
];

/** SPEC §11: Alice (1) and Lily (3) have authorised docs-app. */
export const DEMO_APP_AUTHORIZATIONS: Partial<AppAuthorization>[] = [
  { userId: 1, clientId: 'docs-app', authorizedAt: t('2026-03-01T00:00:00Z'), revokedAt: null },
  { userId: 3, clientId: 'docs-app', authorizedAt: t('2026-03-02T00:00:00Z'), revokedAt: null },
];

/** SPEC §11: one case for the legal desk, naming Alice and Bob. */
export const DEMO_CASE = {
  caseRef: 'GA-2026-0117',
  purposes: ['legal.criminal-investigation'],
  subjectIds: [1, 2],
  expiresAt: t('2027-12-31T23:59:59Z'),
  openedAt: t('2026-11-15T00:00:00Z'),
  openedBy: 'security-console',
};

export class DemoSeedError extends Error {}

/**
 * Load the demo data where it is missing; rows already there are left alone, so running
 * it twice changes nothing. Returns whether anything was written. `asOf`: the day it is loaded
 * on (`npm start` and `npm run seed -- --demo` give the clock's); its dates are moved that many
 * days past DEMO_DAY. Without it they are as written (the tests, whose clock is DEMO_DAY).
 */
export async function loadDemoData(ds: DataSource, options: { asOf?: Date } = {}): Promise<boolean> {
  const days = demoDayShift(options.asOf);
  const registry = new ClientRegistry(ds, 0);
  let wrote = false;
  for (const c of DEMO_CLIENTS) {
    const providers = 'providers' in c ? [...c.providers] : [];
    const existing = await ds.getRepository(Client).findOne({ where: { id: c.id } });
    if (existing) {
      // A store seeded before relationship scope: give the demo payment clients their providers once.
      if (providers.length && !(existing.providers ?? []).length) {
        await registry.update(c.id, { providers });
        wrote = true;
      }
      continue;
    }
    await registry.create({ id: c.id, displayName: c.displayName, kind: c.kind, role: c.role, purposes: [...c.purposes], providers }, c.key);
    wrote = true;
  }
  const existing = await ds.getRepository(User).findBy(DEMO_USERS.map((u) => ({ id: u.id! })));
  for (const u of existing) {
    const demo = DEMO_USERS.find((d) => d.id === u.id)!;
    if (u.username !== demo.username) throw new DemoSeedError(`user id ${u.id} is taken by "${u.username}"; the demo data needs ids 1-5 free`);
  }
  if (existing.length === DEMO_USERS.length) return (await loadDemoRelationships(ds, days)) || wrote;
  await ds.transaction(async (m) => {
    const missing = DEMO_USERS.filter((d) => !existing.some((u) => u.id === d.id));
    const ids = new Set(missing.map((u) => u.id));
    await m.insert(User, missing.map((u) => dated({ createdAt: t('2026-01-01T00:00:00Z'), erasedAt: null, ...u }, days)));
    // Copies, dated: TypeORM writes generated ids back into the objects it inserts, and these constants must stay as they are.
    const own = <T extends { userId?: number }>(rows: T[]) => rows.filter((r) => ids.has(r.userId!)).map((r) => dated(r, days));
    await m.insert(PaymentAccount, own(DEMO_PAYMENT_ACCOUNTS));
    await m.insert(Device, own(DEMO_DEVICES));
    const orders = own(DEMO_ORDERS);
    const orderIds = new Set(orders.map((o) => o.id));
    await m.insert(Order, orders);
    await m.insert(OrderItem, DEMO_ORDER_ITEMS.filter((i) => orderIds.has(i.orderId)).map((i) => ({ ...i })));
    const consents = own(DEMO_CONSENTS);
    if (consents.length) await m.insert(Consent, consents);
  });
  await loadDemoRelationships(ds, days);
  return true;
}

/**
 * The relationship facts of SPEC §11, where missing: demo orders' channels (on a store seeded
 * before the column existed), the app authorisations, and the legal case. A user who revoked a
 * demo authorisation is not authorised again. Returns whether anything was written.
 */
async function loadDemoRelationships(ds: DataSource, days: number): Promise<boolean> {
  let wrote = false;
  for (const o of DEMO_ORDERS) {
    const r = await ds.getRepository(Order).update({ id: o.id!, orderNo: o.orderNo!, channel: '' }, { channel: o.channel! });
    if (r.affected) wrote = true;
  }
  for (const a of DEMO_APP_AUTHORIZATIONS) {
    if (await ds.getRepository(AppAuthorization).exists({ where: { userId: a.userId!, clientId: a.clientId! } })) continue;
    await ds.getRepository(AppAuthorization).insert({ ...dated(a, days), authorizedRequestId: 'demo-seed', revokedRequestId: null });
    wrote = true;
  }
  if (!(await ds.getRepository(LegalCase).exists({ where: { caseRef: DEMO_CASE.caseRef } }))) {
    const { subjectIds, ...c } = dated(DEMO_CASE, days);
    await ds.transaction(async (m) => {
      await m.insert(LegalCase, { ...c, purposes: [...c.purposes], closedAt: null });
      await m.insert(LegalCaseSubject, subjectIds.map((userId) => ({ caseRef: c.caseRef, userId })));
    });
    wrote = true;
  }
  return wrote;
}
