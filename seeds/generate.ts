import { DataSource } from 'typeorm';
import { AppAuthorization, Consent, Device, Order, OrderItem, PaymentAccount, User } from '../src/db/entities';

/** A small deterministic PRNG (mulberry32), so that a seed run can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES = ['Xiamen', 'Shanghai', 'Beijing', 'Fuzhou', 'Shenzhen', 'Hangzhou', 'Chengdu', 'Wuhan'];
const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou'];
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Qiang', 'Yan', 'Jun', 'Hui'];
const CONSENT_PURPOSES = ['personalization', 'marketing.push', 'analytics'];
/**
 * Relationship spreads (SPEC §11), after the demo clients: most orders go through the mall, some
 * through the docs app, and a few have channel '' (the column's default: an order from before
 * channels were recorded, in no client's `orders` scope); accounts are Alipay, WeChat Pay or a
 * bank card; about a third of users authorise the docs app.
 */
const CHANNELS: readonly (readonly [string, number])[] = [['mall-app', 0.85], ['docs-app', 0.1], ['', 0.05]];
const PROVIDERS: readonly (readonly [PaymentAccount['provider'], number])[] = [['ALIPAY', 0.45], ['WECHAT_PAY', 0.3], ['BANK_CARD', 0.25]];
const AUTHORIZED_APP = 'docs-app';
const AUTHORIZING_SHARE = 1 / 3;

export interface GenerateOptions {
  batchSize?: number;
  seed?: number;
  /** Orders per user (default 2, each with 2 items). */
  ordersPerUser?: number;
  onProgress?: (done: number) => void;
}

async function nextId(ds: DataSource, table: string): Promise<number> {
  const [row] = await ds.query(`SELECT COALESCE(MAX(id), 0) AS m FROM ${table}`);
  return Number(row.m) + 1;
}

/** Rows per INSERT statement, kept under the parameter limits of both drivers. */
function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Add `count` generated users, each with a device, a payment account, orders with items (each
 * with a channel), an authorisation of the docs app for about a third, and
 * (for most) consents, in batches of multi-row INSERTs inside one transaction per batch.
 * Ids are assigned here (one writer), so that related rows can be written without reading back.
 */
export async function generateUsers(ds: DataSource, count: number, options: GenerateOptions = {}): Promise<void> {
  const batch = options.batchSize ?? 2000;
  const perUser = options.ordersPerUser ?? 2;
  const rand = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  /** One value by its share (the shares add up to 1). */
  const weighted = <T>(xs: readonly (readonly [T, number])[]): T => {
    let r = rand();
    for (const [x, share] of xs) if ((r -= share) < 0) return x;
    return xs[xs.length - 1][0];
  };
  const ids = {
    user: await nextId(ds, 'users'), account: await nextId(ds, 'payment_accounts'), device: await nextId(ds, 'devices'),
    order: await nextId(ds, 'orders'), item: await nextId(ds, 'order_items'), consent: await nextId(ds, 'consents'),
    authorization: await nextId(ds, 'app_authorizations'),
  };
  const created = new Date();
  // SQLite allows 32 766 bound parameters per statement; MySQL 65 535.
  const rowsPerInsert = 500;
  for (let done = 0; done < count; ) {
    const n = Math.min(batch, count - done);
    const users: Partial<User>[] = [], accounts: Partial<PaymentAccount>[] = [], devices: Partial<Device>[] = [];
    const orders: Partial<Order>[] = [], items: Partial<OrderItem>[] = [], consents: Partial<Consent>[] = [];
    const authorizations: Partial<AppAuthorization>[] = [];
    for (let i = 0; i < n; i++) {
      const id = ids.user++;
      const name = `${pick(GIVEN)} ${pick(SURNAMES)}`;
      const city = pick(CITIES);
      const year = 1950 + Math.floor(rand() * 70);
      const phone = `13${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`;
      users.push({ id, username: `user${id}`, nickname: name.split(' ')[0], avatarUrl: null, gender: rand() < 0.5 ? 'FEMALE' : 'MALE', signature: null,
        realName: name, birthDate: `${year}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
        phone, city, erasedAt: null, createdAt: created });
      const accountId = ids.account++;
      const provider = weighted(PROVIDERS);
      const card = provider === 'BANK_CARD';
      const accountNo = card ? `62220${String(Math.floor(rand() * 1e14)).padStart(14, '0')}` : provider === 'ALIPAY' ? `user${id}@example.com` : `wx_user${id}_${Math.floor(rand() * 1e4)}`;
      accounts.push({ id: accountId, userId: id, provider, accountNo,
        holderName: name, cardExpiry: card ? `${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}/${28 + Math.floor(rand() * 5)}` : null });
      devices.push({ id: ids.device++, userId: id, model: pick(['iPhone 15', 'Pixel 8', 'Mi 14', 'Mate 60']), osVersion: '1' + Math.floor(rand() * 9),
        deviceId: `dev-${id}-${Math.floor(rand() * 1e9).toString(16)}`, macAddress: null, ipAddress: `198.51.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`,
        lat: 20 + rand() * 20, lng: 100 + rand() * 20, accuracyM: 10 + Math.floor(rand() * 50), wifiBssid: null, city, lastSeenAt: created });
      for (let k = 0; k < perUser; k++) {
        const orderId = ids.order++;
        orders.push({ id: orderId, orderNo: `GEN-${orderId}`, userId: id, paymentAccountId: accountId, status: 'PAID', channel: weighted(CHANNELS), totalAmount: 1000 + Math.floor(rand() * 50000),
          currency: 'CNY', recipientName: name, recipientPhone: phone, shippingAddress: `${city}, Block ${1 + Math.floor(rand() * 99)}`, createdAt: created });
        for (let j = 0; j < 2; j++) items.push({ id: ids.item++, orderId, sku: `SKU-${1 + Math.floor(rand() * 500)}`, name: 'Print job', quantity: 1 + Math.floor(rand() * 3), unitPrice: 500 + Math.floor(rand() * 5000) });
      }
      if (rand() < AUTHORIZING_SHARE) {
        authorizations.push({ id: ids.authorization++, userId: id, clientId: AUTHORIZED_APP, authorizedAt: created, revokedAt: null, authorizedRequestId: 'seed', revokedRequestId: null });
      }
      if (rand() < 0.7) {
        consents.push({ id: ids.consent++, userId: id, purpose: pick(CONSENT_PURPOSES), clientId: null, byGuardian: false, grantedAt: created, withdrawnAt: null });
      }
    }
    await ds.transaction(async (m) => {
      const write = async (entity: Function, rows: object[]) => {
        for (const part of chunks(rows, rowsPerInsert)) await m.createQueryBuilder().insert().into(entity).values(part).updateEntity(false).execute();
      };
      await write(User, users);
      await write(PaymentAccount, accounts);
      await write(Device, devices);
      await write(Order, orders);
      await write(OrderItem, items);
      if (consents.length) await write(Consent, consents);
      if (authorizations.length) await write(AppAuthorization, authorizations);
    });
    done += n;
    options.onProgress?.(done);
  }
}
