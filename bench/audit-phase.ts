import { randomUUID } from 'node:crypto';
import { execute, parse } from 'graphql';
import { createAudit, createAuditStore, createProjection } from '../src/audit';
import { AuditWriter } from '../src/audit/writer';
import { ClientRegistry } from '../src/callers/registry';
import { now } from '../src/clock';
import { Disclosure, FieldRecord } from '../src/enforcement/disclosure';
import { enforceSchema } from '../src/enforcement/enforce-schema';
import { sensitiveFields } from '../src/enforcement/sensitive-fields';
import { gatewayContext, RequestState } from '../src/request/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { createLoaders } from '../src/loaders';
import { Category, compilePolicy, CompiledPolicy, decideField, defaultPolicyPath, loadPolicy, Purpose } from '../src/policy';
import { resolverServices } from '../src/services';
import { quantile, table } from './stats';
import { BENCH_USERS, BenchStore } from './store';

export const AUDIT_TARGET = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);

const TRAFFIC: { clientId: string; purpose: Purpose }[] = [
  { clientId: 'mall-app', purpose: 'service.fulfilment' },
  { clientId: 'mall-app', purpose: 'personalization' },
  { clientId: 'pay-alipay', purpose: 'service.payment' },
  { clientId: 'risk-engine', purpose: 'security.risk-control' },
  { clientId: 'analytics-sdk', purpose: 'analytics' },
  { clientId: 'docs-app', purpose: 'third-party-app' },
  { clientId: 'account-service', purpose: 'account' },
];
const FIELDS: [string, string, Category][] = [
  ['User', 'phone', 'contact.phone'], ['User', 'realName', 'identity.name'], ['User', 'city', 'location.coarse'],
  ['Device', 'deviceId', 'device.identifier'], ['Device', 'location', 'location.precise'], ['Device', 'ipAddress', 'location.network'],
  ['PaymentAccount', 'accountNo', 'financial.account'], ['Order', 'recipientPhone', 'contact.phone'], ['Order', 'shippingAddress', 'contact.address'],
  ['User', 'birthDate', 'identity.birthdate'],
];

/** A synthetic request as the gateway would record it: 100 subjects × 10 categorised fields, decided by the real policy. */
function syntheticDisclosure(policy: CompiledPolicy, n: number, at: Date, k: number): Disclosure {
  const t = TRAFFIC[k % TRAFFIC.length];
  const d = new Disclosure(randomUUID(), t.clientId, t.purpose, 'contract', null, policy, at, false);
  const facts = { erased: false, minor: false, consentId: '1', consentByGuardian: false };
  for (let i = 0; i < n; i++) {
    const subjectId = 1 + ((k * 97 + Math.floor(i / FIELDS.length) * 13) % (BENCH_USERS + 5));
    const [entity, field, category] = FIELDS[i % FIELDS.length];
    const dec = decideField(policy, t.purpose, category, facts);
    const r: FieldRecord = { subjectId, entity, entityId: String(subjectId), field, category, decision: dec.decision, mask: dec.mask, reason: dec.reason, basis: dec.basis, consentId: null };
    d.records.push(r);
  }
  return d;
}

async function auditRows(store: BenchStore): Promise<number> {
  const [row] = await store.ds.query('SELECT COUNT(*) AS n FROM audit_events');
  return Number(row.n);
}

/**
 * The audit's write path and its review queries:
 * - the batch log: 16 concurrent producers of 1 000-record requests, each waiting for its
 *   commit (what a response waits for): records/s committed and the commit's p50/p99;
 * - the projection into audit_events, running alongside as in the gateway: when it caught up
 *   after the last commit, and the rows/s it sustained over the whole run;
 * - the projection alone, over a backlog (batches committed by a writer with no projection
 *   behind it): rows/s;
 * then auditEvents and disclosureReport over at least AUDIT_TARGET records, p50/p99 over 100
 * calls each.
 */
export async function runAuditPhase(store: BenchStore): Promise<string> {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const audit = createAudit(store.ds);
  const out: string[] = ['## Audit writer and review queries\n'];

  const producers = 16;
  const perRequest = 1000;
  const requests = 160;
  await audit.settled(); // start from a projected store
  let k = 0;
  const commitMs: number[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: producers }, async () => {
    while (k < requests) {
      const d = syntheticDisclosure(policy, perRequest, now(), k++);
      const t = process.hrtime.bigint();
      await audit.commit(d);
      commitMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await audit.settled();
  const projectedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const records = requests * perRequest;
  out.push(`Batch log (the commit a response waits for), ${producers} concurrent producers × ${perRequest}-record requests: **${Math.round(records / seconds).toLocaleString('en')} records/s** committed `
    + `(${records} records, ${requests} batches in ${seconds.toFixed(2)} s; commit p50 ${quantile(commitMs, 0.5).toFixed(1)} ms, p99 ${quantile(commitMs, 0.99).toFixed(1)} ms, group commit).\n`);
  out.push(`Projection into audit_events, running alongside: caught up ${Math.max(0, projectedSeconds - seconds).toFixed(2)} s after the last commit: **${Math.round(records / projectedSeconds).toLocaleString('en')} rows/s** sustained over the run.\n`);

  // The projection alone, over a backlog committed with no projection behind it.
  const bare = new AuditWriter(createAuditStore(store.ds));
  let b = 0;
  await Promise.all(Array.from({ length: producers }, async () => {
    while (b < requests) await bare.commit(syntheticDisclosure(policy, perRequest, now(), b++));
  }));
  await bare.close();
  const t1 = process.hrtime.bigint();
  await createProjection(store.ds).settled();
  const backlogSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  out.push(`Projection alone, a backlog of ${records} records in ${requests} batches: **${Math.round(records / backlogSeconds).toLocaleString('en')} rows/s** (${backlogSeconds.toFixed(2)} s).\n`);

  let have = await auditRows(store);
  if (have < AUDIT_TARGET) {
    process.stderr.write(`filling the audit to ${AUDIT_TARGET} records (spread over 30 days)…\n`);
    const start = Date.now() - 30 * 86_400_000;
    const batches = Math.ceil((AUDIT_TARGET - have) / perRequest);
    let next = 0;
    await Promise.all(Array.from({ length: producers }, async () => {
      while (next < batches) {
        const i = next++;
        await audit.commit(syntheticDisclosure(policy, perRequest, new Date(start + Math.floor((i / batches) * 30 * 86_400_000)), i));
      }
    }));
    have = await auditRows(store);
  }
  await audit.close();

  const base = buildGatewaySchema();
  const schema = enforceSchema(base, { policy, pseudonymSecret: 'bench-pseudonym-secret-0123456789' });
  const services = resolverServices(store.ds, { schema: base, fields: sensitiveFields(base), policy }, createProjection(store.ds));
  const caller = (await new ClientRegistry(store.ds, 0).get('security-console'))!;
  const events = parse(`query($s: ID) @purpose(name: "audit.review") { auditEvents(filter: { subjectId: $s }, first: 50) { edges { node { id at clientId field decision } } pageInfo { hasNextPage endCursor } } }`);
  const report = parse(`query($s: ID!) @purpose(name: "audit.review") { disclosureReport(subjectId: $s) { clientId categories purposes firstAt lastAt count } }`);
  const time = async (document: typeof events, s: string) => {
    const ctx = gatewayContext({ request: new RequestState(randomUUID(), now(), new Map()), caller, loaders: createLoaders(store.ds), ds: store.ds, ...services });
    ctx.request.declare(new Disclosure(ctx.request.id, caller.id, 'audit.review', 'legal-obligation', null, policy, ctx.request.at, false));
    const t = process.hrtime.bigint();
    const r = await execute({ schema, document, contextValue: ctx, variableValues: { s } });
    if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const rows: (string | number)[][] = [];
  for (const [name, doc, target] of [['auditEvents(filter: {subjectId}) first page', events, 50], ['disclosureReport(subjectId)', report, 50]] as const) {
    const ms: number[] = [];
    for (let i = 0; i < 100; i++) ms.push(await time(doc, String(1 + ((i * 7919) % (BENCH_USERS + 5)))));
    rows.push([name, quantile(ms, 0.5).toFixed(1), quantile(ms, 0.99).toFixed(1), `< ${target}`, quantile(ms, 0.99) < target ? 'met' : 'MISSED']);
  }
  out.push(`Review queries over ${have.toLocaleString('en')} audit records (100 calls, random subjects):\n`);
  out.push(table(['query', 'p50 ms', 'p99 ms', 'target p99 ms', ''], rows));
  return out.join('\n') + '\n';
}
