import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DocumentNode, execute, ExecutionResult, GraphQLSchema, Kind, OperationDefinitionNode, parse } from 'graphql';
import { createAudit, Audit } from '../src/audit';
import { declarePurpose } from '../src/callers/purpose';
import { Caller, ClientRegistry } from '../src/callers/registry';
import { now } from '../src/clock';
import { Disclosure } from '../src/enforcement/disclosure';
import { enforceSchema } from '../src/enforcement/enforce-schema';
import { sensitiveFields } from '../src/enforcement/sensitive-fields';
import { GatewayContext, gatewayContext, RequestState, ResolverServices } from '../src/request/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { createLoaders } from '../src/loaders';
import { resolverServices } from '../src/services';
import { CompiledPolicy, compilePolicy, decideField, defaultPolicyPath, loadPolicy, Purpose, Category, rowScope, scopeOf, SubjectFacts } from '../src/policy';
import { DEFAULT_JIT_CACHE_SIZE } from '../src/config';
import { CompiledDocuments } from '../src/enforcement/jit-executor';
import { plainSchema } from './plain-schema';
import { shieldSchema } from './shield-schema';
import { median, rotation, spread, table } from './stats';
import type { BenchStore } from './store';

export interface Workload {
  name: string;
  file: string;
  clientId: string;
  variables: Record<string, unknown>;
  /** Operations per variant per round (short workloads repeat to rise above timer noise). */
  iterations: number;
}

export const WORKLOADS: Workload[] = [
  { name: '1 one user, every field', file: 'w1-user.graphql', clientId: 'risk-engine', variables: { id: '1' }, iterations: 20 },
  { name: '2 users(first: 100)', file: 'w2-users.graphql', clientId: 'pay-alipay', variables: {}, iterations: 3 },
  { name: '3 users(100) + orders(10) + items', file: 'w3-users-orders.graphql', clientId: 'pay-alipay', variables: {}, iterations: 1 },
  { name: '4 users(100), ten categorised fields', file: 'w4-users-ten-fields.graphql', clientId: 'risk-engine', variables: {}, iterations: 3 },
];

/**
 * A as shipped (enforced schema, audit committed); E the same without the audit; S the peer
 * (graphql-shield + graphql-middleware, bench/shield-schema.ts, audit committed); J the enforced
 * schema executed by graphql-jit with the audit, JE without it (src/enforcement/jit-executor.ts, as GRAPHQL_EXECUTOR=jit ships it); B no enforcement;
 * C plain graphql-js.
 */
type Variant = 'A' | 'E' | 'S' | 'J' | 'JE' | 'B' | 'C';
const VARIANTS: Variant[] = ['A', 'E', 'S', 'J', 'JE', 'B', 'C'];
const AUDITED = new Set<Variant>(['A', 'S', 'J']);

interface Prepared {
  w: Workload;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  caller: Caller;
}

function documentsDir(): string {
  return path.resolve(__dirname, '..', '..', 'bench', 'documents');
}

/** Every variant reads the rows of the workload's purpose scope (SPEC §11), so that A, B and C serve the same rows. */
function context(ds: BenchStore['ds'], p: Prepared, env: Env): GatewayContext {
  const declared = declarePurpose(env.policy, p.caller, { headers: new Map(), operation: p.operation, variables: p.w.variables })!;
  const scope = rowScope([scopeOf(env.policy, declared.purpose)], p.caller, declared.caseRef);
  const loaders = createLoaders(ds);
  loaders.useScope(scope);
  return gatewayContext({ request: new RequestState(randomUUID(), now(), new Map()), caller: p.caller, loaders, ds, ...env.services });
}

/** Runs one operation as a variant: the enforced ones declare the purpose, execute, and (A, S, J) commit the audit. */
async function runOnce(v: Variant, p: Prepared, env: Env, explain = false): Promise<{ result: ExecutionResult; d?: Disclosure }> {
  const ctx = context(env.store.ds, p, env);
  if (v === 'B' || v === 'C') {
    return { result: (await execute({ schema: v === 'B' ? env.base : env.plain, document: p.document, contextValue: ctx, variableValues: p.w.variables })) as ExecutionResult };
  }
  const declared = declarePurpose(env.policy, p.caller, { headers: ctx.request.headers, operation: p.operation, variables: p.w.variables })!;
  const d = new Disclosure(ctx.request.id, p.caller.id, declared.purpose, declared.basis, declared.caseRef, env.policy, ctx.request.at, explain);
  ctx.request.declare(d);
  const result = (v === 'J' || v === 'JE'
    ? await env.jit.execute(p.w.file, p.document, undefined, ctx, p.w.variables)
    : await execute({ schema: v === 'S' ? env.shield : env.enforced, document: p.document, contextValue: ctx, variableValues: p.w.variables })) as ExecutionResult;
  // As the gateway's disclosure plugin does (src/enforcement/plugin.ts).
  if (result.errors?.length) d.keepServed(result.data);
  d.close();
  if (AUDITED.has(v)) await env.audit.commit(d);
  // The gateway appends its denials after execution (S's are already in `errors`: shield reported them).
  return { result: { ...result, errors: [...(result.errors ?? []), ...(d.denials as never[])] }, d };
}

interface Env {
  store: BenchStore;
  policy: CompiledPolicy;
  base: GraphQLSchema;
  enforced: GraphQLSchema;
  plain: GraphQLSchema;
  shield: GraphQLSchema;
  jit: CompiledDocuments;
  audit: Audit;
  services: ResolverServices;
}

/** Delete a response path (masked or denied in A) from a result tree, so that A and B can be compared on the rest. */
function dropPath(tree: unknown, p: readonly (string | number)[]): void {
  let node = tree as Record<string | number, unknown>;
  for (let i = 0; i < p.length - 1; i++) {
    node = node?.[p[i]] as Record<string | number, unknown>;
    if (node == null) return;
  }
  if (node) delete node[p[p.length - 1]];
}

async function auditCount(env: Env): Promise<number> {
  await env.audit.settled(); // audit_events is projected from the committed batches
  const [row] = await env.store.ds.query('SELECT COUNT(*) AS n FROM audit_events');
  return Number(row.n);
}

/** Errors as a client tells them apart: path, code, reason, category and message, in a stable order. */
function errorSet(r: ExecutionResult): string[] {
  return (r.errors ?? []).map((e) => {
    const x = (e as { extensions?: Record<string, unknown> }).extensions ?? {};
    return JSON.stringify([e.path, x.code, x.reason, x.category, e.message]);
  }).sort();
}

const recordSet = (d: Disclosure) => d.records.map((r) => JSON.stringify(r)).sort();

/** Runs an audited variant and counts the audit_events rows its commit produced. */
async function audited(v: Variant, p: Prepared, env: Env, explain = false): Promise<{ result: ExecutionResult; d: Disclosure; written: number }> {
  const before = await auditCount(env);
  const r = await runOnce(v, p, env, explain);
  const written = (await auditCount(env)) - before;
  if (written !== r.d!.records.length) throw new Error(`${p.w.name}: ${v} wrote ${written} audit records, expected ${r.d!.records.length}`);
  return { result: r.result, d: r.d!, written };
}

/**
 * Before timing: A and B agree on every field that A allowed, B and C everywhere, and A wrote one
 * audit record per categorised field; S, J, E and JE agree with A on everything (the same data,
 * masked values and nulls, the same errors), and S and J wrote the same audit records as A.
 */
async function verify(p: Prepared, env: Env): Promise<{ fields: number; agreement: string }> {
  const a = await audited('A', p, env, true);
  const b = await runOnce('B', p, env);
  const c = await runOnce('C', p, env);
  const d = a.d;
  if (d.records.length === 0) throw new Error(`${p.w.name}: no categorised field resolved`);
  const dataA = JSON.parse(JSON.stringify(a.result.data));
  const dataB = JSON.parse(JSON.stringify(b.result.data));
  for (const f of d.explain!) if (f.decision !== 'ALLOW') { dropPath(dataA, f.path); dropPath(dataB, f.path); }
  if (JSON.stringify(dataA) !== JSON.stringify(dataB)) throw new Error(`${p.w.name}: A and B differ on allowed fields`);
  if (JSON.stringify(b.result.data) !== JSON.stringify(c.result.data)) throw new Error(`${p.w.name}: B and C differ`);
  if (b.result.errors?.length || c.result.errors?.length) throw new Error(`${p.w.name}: B/C errors: ${JSON.stringify(b.result.errors ?? c.result.errors)}`);
  const same = (v: Variant, r: ExecutionResult, dv: Disclosure) => {
    if (JSON.stringify(r.data) !== JSON.stringify(a.result.data)) throw new Error(`${p.w.name}: ${v} and A differ in data`);
    if (JSON.stringify(errorSet(r)) !== JSON.stringify(errorSet(a.result))) throw new Error(`${p.w.name}: ${v} and A differ in errors:\n${errorSet(r).slice(0, 3).join('\n')}\n---\n${errorSet(a.result).slice(0, 3).join('\n')}`);
    if (JSON.stringify(recordSet(dv)) !== JSON.stringify(recordSet(d))) throw new Error(`${p.w.name}: ${v} and A differ in audit records`);
  };
  const s = await audited('S', p, env);
  same('S', s.result, s.d);
  const j = await audited('J', p, env);
  same('J', j.result, j.d);
  for (const v of ['E', 'JE'] as Variant[]) {
    const r = await runOnce(v, p, env);
    same(v, r.result, r.d!);
  }
  const denied = errorSet(a.result).length;
  return { fields: d.records.length, agreement: `${p.w.name}: A, S, J, E, JE agree (data, nulls, ${denied} errors, ${d.records.length} audit records each for A, S, J); B = A on allowed fields, B = C` };
}

export interface InProcessResult {
  workload: string;
  fields: number;
  usPerOp: Record<Variant, number[]>;
}

export async function runInProcess(store: BenchStore, rounds: number): Promise<{ rows: InProcessResult[]; report: string; decisionNs: number; agreement: string[] }> {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const base = buildGatewaySchema();
  const options = { policy, pseudonymSecret: 'bench-pseudonym-secret-0123456789' };
  const enforced = enforceSchema(base, options);
  const audit = createAudit(store.ds);
  const env: Env = {
    store, policy, base, enforced,
    plain: plainSchema(),
    shield: shieldSchema(base, options),
    jit: new CompiledDocuments(enforced, policy, Number(process.env.JIT_CACHE_SIZE || DEFAULT_JIT_CACHE_SIZE)),
    audit,
    services: resolverServices(store.ds, { schema: base, fields: sensitiveFields(base), policy }, audit),
  };
  const registry = new ClientRegistry(store.ds, 0);
  const rows: InProcessResult[] = [];
  const agreement: string[] = [];
  for (const w of WORKLOADS) {
    const document = parse(readFileSync(path.join(documentsDir(), w.file), 'utf8'));
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const caller = (await registry.get(w.clientId))!;
    const p: Prepared = { w, document, operation, caller };
    const checked = await verify(p, env);
    agreement.push(checked.agreement);
    for (let i = 0; i < 3; i++) for (const v of VARIANTS) await runOnce(v, p, env); // warm-up
    await env.audit.settled();
    const usPerOp = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    for (let r = 0; r < rounds; r++) {
      for (const v of rotation<Variant>(VARIANTS, r)) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < w.iterations; i++) await runOnce(v, p, env);
        usPerOp[v].push(Number(process.hrtime.bigint() - t0) / 1000 / w.iterations);
        // The audit_events projection runs in the background (worker thread / database server): let it
        // finish here, untimed, rather than inside the next variant's samples (the audit phase reports its rate).
        if (AUDITED.has(v)) await env.audit.settled();
      }
    }
    rows.push({ workload: w.name, fields: checked.fields, usPerOp });
  }
  await env.audit.close();
  const decisionNs = measureDecision(policy);
  const m = (r: InProcessResult, v: Variant) => median(r.usPerOp[v]);
  const ours = table(
    ['workload', 'categorised fields', 'A µs/op', 'B µs/op', 'C µs/op', 'A/B', 'B/C', 'A µs/field', '(A−B) µs/field'],
    rows.map((r) => {
      const [a, b, c] = [m(r, 'A'), m(r, 'B'), m(r, 'C')];
      return [r.workload, r.fields, spread(r.usPerOp.A, 0), spread(r.usPerOp.B, 0), spread(r.usPerOp.C, 0), (a / b).toFixed(2), (b / c).toFixed(2), (a / r.fields).toFixed(2), ((a - b) / r.fields).toFixed(2)];
    }),
  );
  const peers = table(
    ['workload', 'S µs/op', 'A µs/op', 'S/A (goal ≥ 8 on 2–3)', 'E µs/op', 'J µs/op', 'JE µs/op', 'C µs/op', 'E/C', 'JE/C (goal ≤ 1 on 2–3)', 'J/A'],
    rows.map((r) => [
      r.workload, spread(r.usPerOp.S, 0), spread(r.usPerOp.A, 0), (m(r, 'S') / m(r, 'A')).toFixed(2),
      spread(r.usPerOp.E, 0), spread(r.usPerOp.J, 0), spread(r.usPerOp.JE, 0), spread(r.usPerOp.C, 0),
      (m(r, 'E') / m(r, 'C')).toFixed(2), (m(r, 'JE') / m(r, 'C')).toFixed(2), (m(r, 'J') / m(r, 'A')).toFixed(2),
    ]),
  );
  const report = [
    ours,
    '',
    '### Against the peer (S: graphql-shield 7 + graphql-middleware 6, same decisions and audit) and the compiled path (J: graphql-jit, JE: without audit); E = A without audit\n',
    peers,
    '',
    'Agreement checked before timing:',
    ...agreement.map((a) => `- ${a}`),
  ].join('\n');
  return { rows, report, decisionNs, agreement };
}

/** The per-field decision alone: a precomputed lookup, averaged over many calls across the whole matrix. */
export function measureDecision(policy: CompiledPolicy): number {
  const facts: SubjectFacts = { erased: false, minor: false, consentId: '1', consentByGuardian: false };
  const pairs: [Purpose, Category][] = [];
  for (const p of policy.purposes) for (const c of policy.categories) pairs.push([p, c]);
  let sink = 0;
  const n = 2_000_000;
  for (let i = 0; i < 100_000; i++) sink += decideField(policy, pairs[i % pairs.length][0], pairs[i % pairs.length][1], facts).decision.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const [p, c] = pairs[i % pairs.length];
    sink += decideField(policy, p, c, facts).decision.length;
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (sink === 42) process.stdout.write('');
  return ns;
}
