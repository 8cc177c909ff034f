import { randomUUID } from 'node:crypto';
import { execute, parse } from 'graphql';
import { createAudit, createProjection } from '../src/audit';
import { ClientRegistry } from '../src/callers/registry';
import { now } from '../src/clock';
import { Disclosure } from '../src/enforcement/disclosure';
import { enforceSchema } from '../src/enforcement/enforce-schema';
import { sensitiveFields } from '../src/enforcement/sensitive-fields';
import { gatewayContext, RequestState } from '../src/request/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { createLoaders } from '../src/loaders';
import { Category, compilePolicy, decideField, defaultPolicyPath, loadPolicy, Purpose } from '../src/policy';
import { resolverServices } from '../src/services';
import { ACTIVITY_FOLLOWER, rollUpActivity } from '../src/review';
import { quantile, table } from './stats';
import type { BenchStore } from './store';

const TARGET = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
const DAY = 86_400_000;

const TRAFFIC: { clientId: string; purpose: Purpose }[] = [
  { clientId: 'mall-app', purpose: 'service.fulfilment' }, { clientId: 'mall-app', purpose: 'personalization' },
  { clientId: 'pay-alipay', purpose: 'service.payment' }, { clientId: 'risk-engine', purpose: 'security.risk-control' },
  { clientId: 'analytics-sdk', purpose: 'analytics' }, { clientId: 'docs-app', purpose: 'third-party-app' },
  { clientId: 'account-service', purpose: 'account' },
];
const CATEGORIES: Category[] = ['contact.phone', 'identity.name', 'location.coarse', 'device.identifier', 'location.precise', 'financial.account', 'contact.address', 'identity.birthdate'];

async function count(store: BenchStore): Promise<number> {
  const [row] = await store.ds.query('SELECT COUNT(*) AS n FROM audit_events');
  return Number(row.n);
}

/** Top the audit up to TARGET records over the last 30 days, through the real writer (the audit phase does the same). */
async function fill(store: BenchStore, have: number): Promise<void> {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const audit = createAudit(store.ds);
  const perRequest = 1000;
  const batches = Math.ceil((TARGET - have) / perRequest);
  const start = Date.now() - 30 * DAY;
  let next = 0;
  process.stderr.write(`filling the audit to ${TARGET} records (spread over 30 days)…\n`);
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < batches) {
      const i = next++;
      const t = TRAFFIC[i % TRAFFIC.length];
      const d = new Disclosure(randomUUID(), t.clientId, t.purpose, 'contract', null, policy, new Date(start + Math.floor((i / batches) * 30 * DAY)), false);
      for (let k = 0; k < perRequest; k++) {
        const category = CATEGORIES[k % CATEGORIES.length];
        const dec = decideField(policy, t.purpose, category, { erased: false, minor: false, consentId: k % 5 ? '1' : null, consentByGuardian: false });
        d.records.push({ subjectId: 1 + ((i * 31 + k) % 10_000), entity: 'User', entityId: String(k), field: 'f', category, decision: dec.decision, mask: dec.mask, reason: dec.reason, basis: dec.basis, consentId: null });
      }
      await audit.commit(d);
    }
  }));
  await audit.close();
}

/**
 * The Clients view's aggregation (clientActivity: per-day buckets, categories, denial reasons)
 * for each client over the 30 days before the newest record, through GraphQL execute, p50/p99 of
 * 20 calls per client, once the hourly counts have caught up. Target: under 200 ms at 1 million
 * records on MariaDB.
 */
export async function runConsolePhase(store: BenchStore): Promise<string> {
  let have = await count(store);
  if (have < TARGET) {
    await fill(store, have);
    have = await count(store);
  }
  // What each gateway's background job does as records arrive: count them into the hourly table.
  const reads = createProjection(store.ds, { followers: [ACTIVITY_FOLLOWER] });
  const t0 = process.hrtime.bigint();
  let counted = 0;
  for (let step; (step = await rollUpActivity(store.ds, reads)) > 0;) counted += step;
  const catchUp = Number(process.hrtime.bigint() - t0) / 1e9;
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const base = buildGatewaySchema();
  const schema = enforceSchema(base, { policy, pseudonymSecret: 'bench-pseudonym-secret-0123456789' });
  const services = resolverServices(store.ds, { schema: base, fields: sensitiveFields(base), policy }, reads);
  const caller = (await new ClientRegistry(store.ds, 0).get('security-console'))!;
  const [latest] = await store.ds.query('SELECT MAX(at) AS at FROM audit_events');
  const end = new Date(new Date(latest.at instanceof Date ? latest.at : String(latest.at).replace(' ', 'T') + 'Z').getTime() + DAY);
  end.setUTCHours(0, 0, 0, 0);
  const from = new Date(end.getTime() - 30 * DAY).toISOString();
  const to = end.toISOString();
  const document = parse(`query($c: ID!, $from: String!, $to: String!) @purpose(name: "audit.review") {
    clientActivity(clientId: $c, from: $from, to: $to) { bucket buckets { start allow mask deny } categories { category allow mask deny } denialReasons { reason count } } }`);
  const rows: (string | number)[][] = [];
  for (const clientId of [...new Set(TRAFFIC.map((t) => t.clientId))]) {
    const [n] = await store.ds.query('SELECT COUNT(*) AS n FROM audit_events WHERE client_id = ? AND at >= ? AND at < ?', [clientId, from.slice(0, 23).replace('T', ' '), to.slice(0, 23).replace('T', ' ')]);
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ctx = gatewayContext({ request: new RequestState(randomUUID(), now(), new Map()), caller, loaders: createLoaders(store.ds), ds: store.ds, ...services });
      ctx.request.declare(new Disclosure(ctx.request.id, caller.id, 'audit.review', 'legal-obligation', null, policy, ctx.request.at, false));
      const t = process.hrtime.bigint();
      const r = await execute({ schema, document, contextValue: ctx, variableValues: { c: clientId, from, to } });
      if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    rows.push([clientId, Number(n.n).toLocaleString('en'), quantile(ms, 0.5).toFixed(1), quantile(ms, 0.99).toFixed(1), '< 200', quantile(ms, 0.99) < 200 ? 'met' : 'MISSED']);
  }
  return [
    '## Console: clientActivity over 30 days (day buckets, categories, denial reasons)\n',
    `Over ${have.toLocaleString('en')} audit records, 20 calls per client. Counting ${counted.toLocaleString('en')} records not yet in the hourly table took ${catchUp.toFixed(1)} s (the gateway does it in the background as records arrive).\n`,
    table(['client', 'its records in range', 'p50 ms', 'p99 ms', 'target p99 ms', ''], rows),
  ].join('\n') + '\n';
}
