import type { DataSource } from 'typeorm';
import { DEMO_CLIENTS } from '../../seeds/demo';
import type { Prng } from './prng';

/**
 * Relationship scope (SPEC §11), judged without the gateway's scope code: the relationship facts
 * are read from the store with plain SQL, the scope of each purpose is SPEC §11's table written
 * out again here, and what a request may see is derived from those two alone. Then every stored
 * personal value of a subject or row that is out of the request's scope (and belongs to no row
 * that is in it) must be absent from the whole response body.
 */

export type Entity = 'User' | 'Order' | 'PaymentAccount' | 'Device';
type Scope = 'all' | 'orders' | 'provider' | 'authorized' | 'case';

/** SPEC §11's table (default policy). Children of `legal` inherit `case`. */
export function purposeScope(purpose: string): Scope {
  if (purpose === 'service.fulfilment' || purpose === 'service.after-sales') return 'orders';
  if (purpose === 'service.payment') return 'provider';
  if (purpose === 'third-party-app') return 'authorized';
  if (purpose === 'legal' || purpose.startsWith('legal.')) return 'case';
  return 'all';
}

// ---------------------------------------------------------------------------------------------
// The store, as plain rows

export interface UserRow { id: number; values: Record<string, string | null> }
export interface AccountRow { id: number; userId: number; provider: string; values: Record<string, string | null> }
export interface DeviceRow { id: number; userId: number; values: Record<string, string | null>; lat: number | null; lng: number | null }
export interface OrderRow { id: number; userId: number; paymentAccountId: number | null; channel: string; values: Record<string, string | null>; skus: string[] }
export interface CaseRow { caseRef: string; purposes: string[]; subjects: Set<number>; valid: boolean }

export interface World {
  users: UserRow[];
  accounts: AccountRow[];
  devices: DeviceRow[];
  orders: OrderRow[];
  /** Active (unrevoked) authorisations: `userId|clientId`. */
  authorizations: Set<string>;
  cases: Map<string, CaseRow>;
  /** Demo clients (SPEC §8/§11): purposes and providers as registered. */
  clients: Map<string, { purposes: readonly string[]; providers: readonly string[] }>;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + (/[zZ+]/.test(String(v).slice(10)) ? '' : 'Z')));

/**
 * Reads the store with simple SQL (same statements on SQLite and MariaDB). `now` decides which
 * cases are open; `now` null takes every case as open (for judging a response after the fact,
 * when a case it relied on may have been closed since).
 */
export async function loadWorld(ds: DataSource, now: Date | null): Promise<World> {
  const users = (await ds.query('SELECT id, username, nickname, avatar_url, signature, real_name, birth_date, phone, city FROM users ORDER BY id')) as Record<string, unknown>[];
  const accounts = (await ds.query('SELECT id, user_id, provider, account_no, holder_name, card_expiry FROM payment_accounts ORDER BY id')) as Record<string, unknown>[];
  const devices = (await ds.query('SELECT id, user_id, model, os_version, device_id, mac_address, ip_address, wifi_bssid, city, lat, lng FROM devices ORDER BY id')) as Record<string, unknown>[];
  const orders = (await ds.query('SELECT id, user_id, payment_account_id, channel, order_no, recipient_name, recipient_phone, shipping_address FROM orders ORDER BY id')) as Record<string, unknown>[];
  const items = (await ds.query('SELECT order_id, sku, name FROM order_items ORDER BY id')) as Record<string, unknown>[];
  const auths = (await ds.query('SELECT user_id, client_id FROM app_authorizations WHERE revoked_at IS NULL')) as Record<string, unknown>[];
  const cases = (await ds.query('SELECT case_ref, purposes, expires_at, closed_at FROM legal_cases')) as Record<string, unknown>[];
  const subjects = (await ds.query('SELECT case_ref, user_id FROM legal_case_subjects')) as Record<string, unknown>[];
  const world: World = {
    users: users.map((u) => ({ id: Number(u.id), values: { username: str(u.username), nickname: str(u.nickname), avatarUrl: str(u.avatar_url), signature: str(u.signature), realName: str(u.real_name), birthDate: str(u.birth_date), phone: str(u.phone), city: str(u.city) } })),
    accounts: accounts.map((a) => ({ id: Number(a.id), userId: Number(a.user_id), provider: String(a.provider), values: { accountNo: str(a.account_no), holderName: str(a.holder_name), cardExpiry: str(a.card_expiry) } })),
    devices: devices.map((d) => ({
      id: Number(d.id), userId: Number(d.user_id), lat: d.lat == null ? null : Number(d.lat), lng: d.lng == null ? null : Number(d.lng),
      values: { model: str(d.model), osVersion: str(d.os_version), deviceId: str(d.device_id), macAddress: str(d.mac_address), ipAddress: str(d.ip_address), wifiBssid: str(d.wifi_bssid), city: str(d.city) },
    })),
    orders: orders.map((o) => ({
      id: Number(o.id), userId: Number(o.user_id), paymentAccountId: o.payment_account_id == null ? null : Number(o.payment_account_id), channel: String(o.channel),
      values: { orderNo: str(o.order_no), recipientName: str(o.recipient_name), recipientPhone: str(o.recipient_phone), shippingAddress: str(o.shipping_address) },
      skus: items.filter((i) => Number(i.order_id) === Number(o.id)).flatMap((i) => [String(i.sku), String(i.name)]),
    })),
    authorizations: new Set(auths.map((a) => `${Number(a.user_id)}|${String(a.client_id)}`)),
    cases: new Map(),
    clients: new Map(DEMO_CLIENTS.map((c) => [c.id, { purposes: c.purposes, providers: 'providers' in c ? c.providers : [] }])),
  };
  for (const c of cases) {
    const expires = date(c.expires_at);
    const valid = now === null || (c.closed_at == null && expires !== null && expires.getTime() > now.getTime());
    const ref = String(c.case_ref);
    world.cases.set(ref, { caseRef: ref, purposes: JSON.parse(String(c.purposes)) as string[], subjects: new Set(subjects.filter((s) => String(s.case_ref) === ref).map((s) => Number(s.user_id))), valid });
  }
  return world;
}

// ---------------------------------------------------------------------------------------------
// What a request may see

export interface InScope {
  /** Nothing is restricted: a missing id is a plain null, no error. */
  unrestricted: boolean;
  /** The scope name OUT_OF_SCOPE errors carry. */
  label: string;
  User: Set<number>;
  Order: Set<number>;
  PaymentAccount: Set<number>;
  Device: Set<number>;
}

const SCOPE_ORDER: Scope[] = ['all', 'orders', 'provider', 'authorized', 'case'];

/** The declared purpose is valid for the client (the caller checks that); null = no purpose: any scope the client could declare. */
export function inScope(world: World, clientId: string, purpose: string | null, caseRef: string | null): InScope {
  const client = world.clients.get(clientId) ?? { purposes: [], providers: [] };
  const scopes = new Set<Scope>(purpose ? [purposeScope(purpose)] : client.purposes.map(purposeScope));
  const ordered = scopes.has('all') ? ['all' as Scope] : SCOPE_ORDER.filter((s) => scopes.has(s));
  const out: InScope = { unrestricted: scopes.has('all'), label: ordered.length ? ordered.join('|') : 'none', User: new Set(), Order: new Set(), PaymentAccount: new Set(), Device: new Set() };
  const all = <T extends { id: number }>(rows: T[], set: Set<number>) => rows.forEach((r) => set.add(r.id));
  if (out.unrestricted) {
    all(world.users, out.User); all(world.orders, out.Order); all(world.accounts, out.PaymentAccount); all(world.devices, out.Device);
    return out;
  }
  /** Subject-based scopes: every row of a subject in scope. */
  const subjects = (ok: (userId: number) => boolean) => {
    for (const u of world.users) if (ok(u.id)) out.User.add(u.id);
    for (const o of world.orders) if (ok(o.userId)) out.Order.add(o.id);
    for (const a of world.accounts) if (ok(a.userId)) out.PaymentAccount.add(a.id);
    for (const d of world.devices) if (ok(d.userId)) out.Device.add(d.id);
  };
  if (scopes.has('orders')) {
    // Orders placed through the client; their buyers (not the buyers' other orders); accounts that paid such an order; the buyers' devices.
    const own = world.orders.filter((o) => o.channel === clientId);
    const buyers = new Set(own.map((o) => o.userId));
    own.forEach((o) => { out.Order.add(o.id); if (o.paymentAccountId !== null) out.PaymentAccount.add(o.paymentAccountId); });
    buyers.forEach((u) => out.User.add(u));
    for (const d of world.devices) if (buyers.has(d.userId)) out.Device.add(d.id);
  }
  if (scopes.has('provider')) {
    // Accounts with the client's providers; orders paid with them; their owners (not the owners' other accounts); the owners' devices.
    const own = world.accounts.filter((a) => client.providers.includes(a.provider));
    const ids = new Set(own.map((a) => a.id));
    const owners = new Set(own.map((a) => a.userId));
    own.forEach((a) => out.PaymentAccount.add(a.id));
    for (const o of world.orders) if (o.paymentAccountId !== null && ids.has(o.paymentAccountId)) out.Order.add(o.id);
    owners.forEach((u) => out.User.add(u));
    for (const d of world.devices) if (owners.has(d.userId)) out.Device.add(d.id);
  }
  if (scopes.has('authorized')) subjects((u) => world.authorizations.has(`${u}|${clientId}`));
  if (scopes.has('case') && purpose && caseRef !== null) {
    const c = world.cases.get(caseRef);
    if (c && c.valid && c.purposes.includes(purpose)) subjects((u) => c.subjects.has(u));
  }
  return out;
}

/** Whether a legal purpose's case would be accepted (otherwise the operation is refused, 403 CASE_UNKNOWN). */
export function caseAccepted(world: World, purpose: string, caseRef: string | null): boolean {
  if (purposeScope(purpose) !== 'case') return true;
  const c = caseRef === null ? undefined : world.cases.get(caseRef);
  return !!c && c.valid && c.purposes.includes(purpose);
}

// ---------------------------------------------------------------------------------------------
// Hidden values

export interface HiddenValue {
  value: string | number;
  /** `Device.macAddress of Device 4 (user 4)`: what it is, for the report. */
  kind: string;
}

export interface Hidden {
  /** Long enough to be searched for anywhere in the body text. */
  text: HiddenValue[];
  /** Short strings and numbers: searched for as whole JSON values (a leaf of the body). */
  leaves: Map<string | number, HiddenValue>;
}

function rowValues(world: World): { entity: Entity; id: number; userId: number; field: string; value: string | number }[] {
  const out: { entity: Entity; id: number; userId: number; field: string; value: string | number }[] = [];
  const push = (entity: Entity, id: number, userId: number, values: Record<string, string | number | null>) => {
    for (const [field, value] of Object.entries(values)) if (value !== null && value !== '') out.push({ entity, id, userId, field, value });
  };
  for (const u of world.users) push('User', u.id, u.id, u.values);
  for (const a of world.accounts) push('PaymentAccount', a.id, a.userId, a.values);
  for (const d of world.devices) push('Device', d.id, d.userId, { ...d.values, lat: d.lat, lng: d.lng });
  for (const o of world.orders) push('Order', o.id, o.userId, { ...o.values, ...Object.fromEntries(o.skus.map((s, i) => [`items.${i}`, s])) });
  return out;
}

/**
 * Every stored personal value of a row out of scope, except values that an in-scope row also has
 * (or that an in-scope value contains: "Xiamen" is Lily's city and in Alice's address).
 */
export function hiddenValues(world: World, scope: InScope): Hidden {
  const values = rowValues(world);
  const visible = values.filter((v) => scope[v.entity].has(v.id)).map((v) => String(v.value));
  const hidden: Hidden = { text: [], leaves: new Map() };
  for (const v of values) {
    if (scope[v.entity].has(v.id)) continue;
    const s = String(v.value);
    if (visible.some((w) => w.includes(s))) continue;
    const h: HiddenValue = { value: v.value, kind: `${v.entity}.${v.field} of ${v.entity} ${v.id} (user ${v.userId})` };
    if (typeof v.value === 'string' && v.value.length >= 6) hidden.text.push(h);
    else hidden.leaves.set(v.value, h);
  }
  return hidden;
}

/** The hidden values found in a response: anywhere in its text, or as a whole JSON value. */
export function findHidden(hidden: Hidden, text: string, body: unknown): HiddenValue[] {
  const found = hidden.text.filter((h) => text.includes(String(h.value)));
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
    else if ((typeof v === 'string' || typeof v === 'number') && hidden.leaves.has(v)) found.push(hidden.leaves.get(v)!);
  };
  visit(body);
  return [...new Set(found)];
}

/** The case reference a request declared: X-Case-Ref, or the first `caseRef:` literal of its document. */
export function declaredCaseRef(headers: Record<string, string>, query: string | undefined): string | null {
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-case-ref')?.[1];
  if (header !== undefined) return header.trim();
  const m = typeof query === 'string' ? /caseRef\s*:\s*("(?:[^"\\]|\\.)*")/.exec(query) : null;
  if (!m) return null;
  try { return String(JSON.parse(m[1])); } catch { return null; }
}

// ---------------------------------------------------------------------------------------------
// Documents: by-id lookups, lists with `first`/`after`, nested rows, aliases, fragments

/** A selection as generated: the response key it answers under, and what it is. */
export interface Sel {
  key: string;
  field: string;
  args: string;
  /** A row, a list of rows, a connection of rows (edges.node), or a scalar. */
  kind: 'scalar' | 'row' | 'list' | 'connection';
  entity?: Entity;
  children?: Sel[];
  /** Row asked for by id at the root: the id as sent. */
  id?: string;
  /** Connection page size (`first`), and the id after which it starts. */
  first?: number;
  afterId?: number;
  /** Connection: the subselections of `pageInfo` and `edges { cursor }` asked for. */
  pageInfo?: boolean;
}

const SCALARS: Record<Entity, { personal: string[]; plain: string[] }> = {
  User: { personal: ['username', 'nickname', 'avatarUrl', 'gender', 'signature', 'realName', 'birthDate', 'phone', 'city'], plain: ['isMinor'] },
  Order: { personal: ['totalAmount', 'recipientName', 'recipientPhone', 'shippingAddress', 'items { sku name quantity unitPrice }'], plain: ['orderNo', 'status', 'channel', 'createdAt', 'currency'] },
  PaymentAccount: { personal: ['accountNo', 'holderName', 'cardExpiry'], plain: ['provider'] },
  Device: { personal: ['model', 'osVersion', 'deviceId', 'macAddress', 'ipAddress', 'wifiBssid', 'city', 'location { lat lng accuracyM }'], plain: ['lastSeenAt'] },
};
const NESTED: Record<Entity, { field: string; kind: Sel['kind']; entity: Entity }[]> = {
  User: [{ field: 'paymentAccounts', kind: 'list', entity: 'PaymentAccount' }, { field: 'orders', kind: 'connection', entity: 'Order' }, { field: 'devices', kind: 'list', entity: 'Device' }],
  Order: [{ field: 'user', kind: 'row', entity: 'User' }, { field: 'paymentAccount', kind: 'row', entity: 'PaymentAccount' }],
  PaymentAccount: [],
  Device: [],
};

export const cursorOf = (id: number) => Buffer.from(`c1:${id}`).toString('base64').replace(/=+$/, '');

interface Gen {
  rng: Prng;
  personal: boolean;
  aliases: number;
  variables: { name: string; type: string; value: unknown }[];
}

function key(g: Gen, field: string, used: Set<string>): string {
  // An alias when the name is taken at this level, and now and then anyway (within the gateway's alias limit).
  if (used.has(field) || (g.aliases < 8 && g.rng.chance(0.2))) {
    g.aliases++;
    let k: string;
    do k = g.rng.chance(0.3) ? g.rng.pick(['id', 'phone', 'node', 'user', 'orderNo', 'data']) + g.aliases : `a${g.aliases}`; while (used.has(k));
    used.add(k);
    return k;
  }
  used.add(field);
  return field;
}

function selections(g: Gen, entity: Entity, depth: number): Sel[] {
  const { rng } = g;
  const used = new Set<string>();
  const out: Sel[] = [{ key: key(g, 'id', used), field: 'id', args: '', kind: 'scalar' }];
  const scalars = SCALARS[entity];
  const pool = g.personal ? [...scalars.personal, ...scalars.plain] : scalars.plain;
  for (const f of pool) if (rng.chance(g.personal ? 0.4 : 0.6)) out.push({ key: key(g, f.split(' ')[0], used), field: f, args: '', kind: 'scalar' });
  if (depth < 3) {
    for (const n of NESTED[entity]) {
      if (!rng.chance(depth === 1 ? 0.5 : 0.3)) continue;
      const sel: Sel = { key: key(g, n.field, used), field: n.field, args: '', kind: n.kind, entity: n.entity, children: selections(g, n.entity, depth + 1) };
      if (n.kind === 'connection') pageArgs(g, sel, false);
      out.push(sel);
    }
  }
  return rng.shuffle(out);
}

function pageArgs(g: Gen, sel: Sel, users: boolean): void {
  const { rng } = g;
  const args: string[] = [];
  if (rng.chance(0.8)) {
    sel.first = rng.int(1, 6);
    if (rng.chance(0.2)) {
      const v = `v${g.variables.length}`;
      g.variables.push({ name: v, type: 'Int', value: sel.first });
      args.push(`first: $${v}`);
    } else {
      args.push(`first: ${sel.first}`);
    }
  }
  if (rng.chance(0.25)) {
    // A cursor after some id; for user.orders (newest first) a cursor means "older than".
    sel.afterId = users ? rng.int(0, 5) : rng.int(1, 6);
    args.push(`after: ${JSON.stringify(cursorOf(sel.afterId))}`);
  }
  sel.args = args.length ? `(${args.join(', ')})` : '';
  sel.pageInfo = rng.chance(0.6);
}

/** Renders selections, some inside inline fragments or named fragments (the response keys stay the same). */
function render(g: Gen, sels: Sel[], type: string, fragments: string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sels.length) {
    const n = g.rng.int(1, Math.min(3, sels.length - i));
    const group = sels.slice(i, i + n).map((s) => renderOne(g, s, fragments));
    i += n;
    const roll = g.rng.next();
    if (roll < 0.12) parts.push(`... on ${type} { ${group.join(' ')} }`);
    else if (roll < 0.18) parts.push(`... { ${group.join(' ')} }`);
    else if (roll < 0.3 && fragments.length < 5 && type !== 'Query') {
      const name = `F${fragments.length}`;
      fragments.push(`fragment ${name} on ${type} { ${group.join(' ')} }`);
      parts.push(`...${name}`);
    } else parts.push(...group);
  }
  return parts.join(' ');
}

function renderOne(g: Gen, s: Sel, fragments: string[]): string {
  const head = `${s.key === s.field.split(' ')[0] ? '' : `${s.key}: `}${s.field}${s.args}`;
  if (s.kind === 'scalar') return head;
  const inner = render(g, s.children!, s.entity!, fragments);
  if (s.kind === 'connection') return `${head} { edges { cursor node { ${inner} } }${s.pageInfo ? ' pageInfo { hasNextPage endCursor }' : ''} }`;
  return `${head} { ${inner} }`;
}

export interface ScopeDocument {
  query: string;
  variables: Record<string, unknown>;
  roots: Sel[];
  /** Whether a categorised field is selected (without a purpose: PURPOSE_REQUIRED). */
  personal: boolean;
}

/**
 * A random read: 1-4 root fields (by-id lookups of rows in scope, out of scope or missing; the
 * users list), with nested rows two levels down. No personal value is ever put into it.
 */
export function scopeDocument(rng: Prng, world: World, scope: InScope, opts: { personal: boolean; directive?: string }): ScopeDocument {
  const g: Gen = { rng, personal: opts.personal, aliases: 0, variables: [] };
  const used = new Set<string>();
  const roots: Sel[] = [];
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const field = rng.weighted<'user' | 'users' | 'order' | 'device'>([[3, 'user'], [3, 'users'], [2, 'order'], [2, 'device']]);
    if (field === 'users') {
      const sel: Sel = { key: key(g, 'users', used), field: 'users', args: '', kind: 'connection', entity: 'User', children: selections(g, 'User', 1) };
      pageArgs(g, sel, true);
      roots.push(sel);
      continue;
    }
    const entity: Entity = field === 'user' ? 'User' : field === 'order' ? 'Order' : 'Device';
    const existing = entity === 'User' ? world.users : entity === 'Order' ? world.orders : world.devices;
    const inside = existing.filter((r) => scope[entity].has(r.id)).map((r) => r.id);
    const outside = existing.filter((r) => !scope[entity].has(r.id)).map((r) => r.id);
    const kind = rng.weighted<'in' | 'out' | 'missing'>([[inside.length ? 4 : 0, 'in'], [outside.length ? 4 : 0, 'out'], [2, 'missing']]);
    const id = kind === 'in' ? String(rng.pick(inside)) : kind === 'out' ? String(rng.pick(outside)) : rng.pick(['0', '6', '42', '99999', '2147483647']);
    let arg: string;
    if (rng.chance(0.25)) {
      const v = `v${g.variables.length}`;
      g.variables.push({ name: v, type: 'ID!', value: rng.chance(0.5) ? id : Number(id) });
      arg = `(id: $${v})`;
    } else {
      arg = `(id: ${rng.chance(0.5) ? id : JSON.stringify(id)})`;
    }
    roots.push({ key: key(g, field, used), field, args: arg, kind: 'row', entity, id, children: selections(g, entity, 1) });
  }
  const fragments: string[] = [];
  const body = render(g, roots, 'Query', fragments);
  const vars = g.variables.length ? `(${g.variables.map((v) => `$${v.name}: ${v.type}`).join(', ')})` : '';
  const name = rng.chance(0.4) ? ` Scope${rng.int(0, 99)}` : '';
  const head = vars || name || opts.directive || rng.chance(0.5) ? `query${name}${vars}${opts.directive ?? ''} ` : '';
  const query = [`${head}{ ${body} }`, ...fragments].join('\n');
  const personal = /\b(username|nickname|avatarUrl|gender|signature|realName|birthDate|phone|city|totalAmount|recipient\w+|shippingAddress|items|accountNo|holderName|cardExpiry|model|osVersion|deviceId|macAddress|ipAddress|wifiBssid|location)\b/.test(query);
  return { query, variables: Object.fromEntries(g.variables.map((v) => [v.name, v.value])), roots, personal };
}

// ---------------------------------------------------------------------------------------------
// Checking a response's rows against the scope

export interface Refusal {
  entity: Entity;
  id: string;
  /** Whether the id exists in the store (then it was refused for scope). */
  exists: boolean;
  path: (string | number)[];
}

export interface RowCheck {
  problems: string[];
  /** The OUT_OF_SCOPE refusals the response must carry, one error each. */
  refusals: Refusal[];
}

/** Walks `data` along the generated selections: every row present is in scope, every list holds exactly the rows in scope, every refusal is expected. */
export function checkRows(world: World, scope: InScope, roots: Sel[], data: Record<string, unknown>): RowCheck {
  const problems: string[] = [];
  const refusals: Refusal[] = [];
  const rowsOf = (e: Entity): { id: number; userId?: number }[] => (e === 'User' ? world.users : e === 'Order' ? world.orders : e === 'Device' ? world.devices : world.accounts);
  const fmt = (p: (string | number)[]) => p.join('.');

  const expectIds = (path: (string | number)[], got: unknown[], want: number[], sel: Sel) => {
    const ids = got.map((r) => Number((r as Record<string, unknown>)?.[sel.children!.find((c) => c.field === 'id')!.key]));
    if (JSON.stringify(ids) !== JSON.stringify(want)) problems.push(`${fmt(path)}: rows ${JSON.stringify(ids)}, in scope ${JSON.stringify(want)}`);
  };
  const row = (entity: Entity, sels: Sel[], value: Record<string, unknown>, path: (string | number)[]) => {
    const idSel = sels.find((s) => s.field === 'id')!;
    const id = Number(value[idSel.key]);
    if (!scope[entity].has(id)) problems.push(`${fmt(path)}: ${entity} ${id} out of scope "${scope.label}" served`);
    for (const s of sels) {
      if (s.kind === 'scalar') continue;
      const v = value[s.key];
      const p = [...path, s.key];
      if (s.kind === 'row') {
        // order.user / order.paymentAccount
        const order = world.orders.find((o) => o.id === id)!;
        const wanted = s.entity === 'User' ? order.userId : order.paymentAccountId;
        if (wanted === null) { if (v !== null) problems.push(`${fmt(p)}: a row where the order has none`); continue; }
        if (scope[s.entity!].has(wanted)) {
          if (!v || typeof v !== 'object') problems.push(`${fmt(p)}: ${s.entity} ${wanted} in scope, got ${JSON.stringify(v)}`);
          else row(s.entity!, s.children!, v as Record<string, unknown>, p);
        } else {
          if (v !== null) problems.push(`${fmt(p)}: ${s.entity} ${wanted} out of scope, got ${JSON.stringify(v)?.slice(0, 200)}`);
          refusals.push({ entity: s.entity!, id: String(wanted), exists: true, path: p });
        }
      } else if (s.kind === 'list') {
        if (!Array.isArray(v)) { problems.push(`${fmt(p)}: not a list`); continue; }
        const want = (rowsOf(s.entity!) as { id: number; userId: number }[]).filter((r) => r.userId === id && scope[s.entity!].has(r.id)).map((r) => r.id);
        expectIds(p, v, want, s);
        v.forEach((r, i) => r && row(s.entity!, s.children!, r as Record<string, unknown>, [...p, i]));
      } else connection(s, v, p, world.orders.filter((o) => o.userId === id && scope.Order.has(o.id)).map((o) => o.id).sort((a, b) => b - a).filter((o) => s.afterId === undefined || o < s.afterId));
    }
  };
  const connection = (s: Sel, v: unknown, p: (string | number)[], inScope: number[]) => {
    const page = inScope.slice(0, s.first ?? 20);
    const c = v as { edges?: { cursor: string; node: Record<string, unknown> }[]; pageInfo?: { hasNextPage: boolean; endCursor: string | null } } | null;
    if (!c || !Array.isArray(c.edges)) { problems.push(`${fmt(p)}: no connection`); return; }
    expectIds([...p, 'edges'], c.edges.map((e) => e?.node), page, s);
    c.edges.forEach((e, i) => {
      if (!e?.node) return;
      const id = Number(e.node[s.children!.find((x) => x.field === 'id')!.key]);
      if (e.cursor !== cursorOf(id)) problems.push(`${fmt([...p, 'edges', i, 'cursor'])}: ${e.cursor} for ${s.entity} ${id}`);
      row(s.entity!, s.children!, e.node, [...p, 'edges', i, 'node']);
    });
    if (s.pageInfo) {
      if (c.pageInfo?.hasNextPage !== inScope.length > page.length) problems.push(`${fmt(p)}.pageInfo.hasNextPage: ${c.pageInfo?.hasNextPage}, in scope ${inScope.length} > page ${page.length}`);
      const end = page.length ? cursorOf(page[page.length - 1]) : null;
      if ((c.pageInfo?.endCursor ?? null) !== end) problems.push(`${fmt(p)}.pageInfo.endCursor: ${c.pageInfo?.endCursor}, expected ${end}`);
    }
  };

  for (const s of roots) {
    const v = data[s.key];
    if (s.kind === 'connection') {
      connection(s, v, [s.key], world.users.map((u) => u.id).filter((u) => scope.User.has(u) && (s.afterId === undefined || u > s.afterId)));
      continue;
    }
    const n = Number(s.id);
    const exists = (rowsOf(s.entity!) as { id: number }[]).some((r) => r.id === n);
    if (exists && scope[s.entity!].has(n)) {
      if (!v || typeof v !== 'object') problems.push(`${s.key}: ${s.entity} ${s.id} in scope, got ${JSON.stringify(v)}`);
      else row(s.entity!, s.children!, v as Record<string, unknown>, [s.key]);
    } else {
      if (v !== null) problems.push(`${s.key}: ${s.entity} ${s.id} ${exists ? 'out of scope' : 'missing'}, got ${JSON.stringify(v)?.slice(0, 200)}`);
      if (!scope.unrestricted) refusals.push({ entity: s.entity!, id: s.id!, exists, path: [s.key] });
    }
  }
  return { problems, refusals };
}

/**
 * The errors of a 200 response: exactly one OUT_OF_SCOPE error per expected refusal, each of exactly
 * the documented shape (message, locations, path, extensions { code, scope }) with the message a
 * missing id gets; otherwise only FIELD_DENIED. Returns the message with the id blanked, per refusal.
 */
export function checkErrors(scope: InScope, refusals: Refusal[], errors: unknown[]): { problems: string[]; messages: { refusal: Refusal; message: string }[] } {
  const problems: string[] = [];
  const messages: { refusal: Refusal; message: string }[] = [];
  const outOfScope = errors.filter((e) => (e as { extensions?: { code?: string } })?.extensions?.code === 'OUT_OF_SCOPE') as Record<string, unknown>[];
  for (const e of errors) {
    const code = (e as { extensions?: { code?: string } })?.extensions?.code;
    if (code !== 'OUT_OF_SCOPE' && code !== 'FIELD_DENIED') problems.push(`unexpected error ${code}: ${JSON.stringify(e).slice(0, 300)}`);
  }
  const pathKey = (p: unknown) => JSON.stringify(p);
  for (const r of refusals) {
    const mine = outOfScope.filter((e) => pathKey(e.path) === pathKey(r.path));
    if (mine.length !== 1) { problems.push(`${r.path.join('.')}: ${mine.length} OUT_OF_SCOPE errors for ${r.entity} ${r.id} (${r.exists ? 'out of scope' : 'missing'})`); continue; }
    const e = mine[0];
    const ext = e.extensions as Record<string, unknown>;
    if (JSON.stringify(Object.keys(e).sort()) !== JSON.stringify(['extensions', 'locations', 'message', 'path'])) problems.push(`${r.path.join('.')}: OUT_OF_SCOPE error keys ${Object.keys(e)}`);
    if (JSON.stringify(Object.keys(ext).sort()) !== JSON.stringify(['code', 'scope']) || ext.scope !== scope.label) problems.push(`${r.path.join('.')}: OUT_OF_SCOPE extensions ${JSON.stringify(ext)}, scope "${scope.label}" expected`);
    const locations = e.locations as unknown[];
    if (!Array.isArray(locations) || locations.length !== 1) problems.push(`${r.path.join('.')}: OUT_OF_SCOPE locations ${JSON.stringify(locations)}`);
    const message = String(e.message);
    if (!message.includes(`"${r.id}"`)) problems.push(`${r.path.join('.')}: message "${message}" does not name the id asked for`);
    messages.push({ refusal: r, message: message.split(`"${r.id}"`).join('"<id>"') });
  }
  for (const e of outOfScope) if (!refusals.some((r) => pathKey(r.path) === pathKey(e.path))) problems.push(`OUT_OF_SCOPE where none was expected: ${JSON.stringify(e).slice(0, 300)}`);
  return { problems, messages };
}
