import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DocumentNode, execute, ExecutionResult, GraphQLSchema, Kind, OperationDefinitionNode, parse } from 'graphql';
import { createAudit, Audit } from '../src/audit';
import { Caller, ClientRegistry } from '../src/callers/registry';
import { now } from '../src/clock';
import { declarePurpose } from '../src/enforcement/declare-purpose';
import { Disclosure } from '../src/enforcement/disclosure';
import { enforceSchema } from '../src/enforcement/enforce-schema';
import type { GatewayContext } from '../src/graphql/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { createLoaders } from '../src/loaders';
import { CompiledPolicy, compilePolicy, decideField, defaultPolicyPath, loadPolicy, Purpose, Category, rowScope, scopeOf, SubjectFacts } from '../src/policy';
import { plainSchema } from './plain-schema';
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
];

type Variant = 'A' | 'B' | 'C';

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
  const declared = declarePurpose(p.operation, p.w.variables, new Map(), p.caller, env.policy)!;
  const scope = rowScope([scopeOf(env.policy, declared.purpose)], p.caller, declared.caseRef);
  const loaders = createLoaders(ds);
  loaders.useScope(scope);
  return { requestId: randomUUID(), caller: p.caller, loaders, ds, requestTime: now(), headers: new Map() };
}

/** Runs one operation as a variant; A declares the purpose, executes the enforced schema and commits the audit. */
async function runOnce(v: Variant, p: Prepared, env: Env, explain = false): Promise<{ result: ExecutionResult; d?: Disclosure }> {
  const ctx = context(env.store.ds, p, env);
  if (v === 'A') {
    const declared = declarePurpose(p.operation, p.w.variables, ctx.headers, p.caller, env.policy)!;
    const d = new Disclosure(ctx.requestId, p.caller.id, declared.purpose, declared.basis, declared.caseRef, env.policy, ctx.requestTime, explain);
    ctx.disclosure = d;
    const result = (await execute({ schema: env.enforced, document: p.document, contextValue: ctx, variableValues: p.w.variables })) as ExecutionResult;
    await env.audit.commit(d);
    return { result: { ...result, errors: [...(result.errors ?? []), ...(d.denials as never[])] }, d };
  }
  const schema = v === 'B' ? env.base : env.plain;
  return { result: (await execute({ schema, document: p.document, contextValue: ctx, variableValues: p.w.variables })) as ExecutionResult };
}

interface Env {
  store: BenchStore;
  policy: CompiledPolicy;
  base: GraphQLSchema;
  enforced: GraphQLSchema;
  plain: GraphQLSchema;
  audit: Audit;
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

/** Before timing: A and B agree on every field that A allowed, and A wrote one audit record per categorised field. */
async function verify(p: Prepared, env: Env): Promise<{ fields: number }> {
  const before = await auditCount(env);
  const a = await runOnce('A', p, env, true);
  const after = await auditCount(env);
  const b = await runOnce('B', p, env);
  const c = await runOnce('C', p, env);
  const d = a.d!;
  if (after - before !== d.records.length) throw new Error(`${p.w.name}: A wrote ${after - before} audit records, expected ${d.records.length}`);
  if (d.records.length === 0) throw new Error(`${p.w.name}: no categorised field resolved`);
  const dataA = JSON.parse(JSON.stringify(a.result.data));
  const dataB = JSON.parse(JSON.stringify(b.result.data));
  for (const f of d.explain!) if (f.decision !== 'ALLOW') { dropPath(dataA, f.path); dropPath(dataB, f.path); }
  if (JSON.stringify(dataA) !== JSON.stringify(dataB)) throw new Error(`${p.w.name}: A and B differ on allowed fields`);
  if (JSON.stringify(b.result.data) !== JSON.stringify(c.result.data)) throw new Error(`${p.w.name}: B and C differ`);
  if (b.result.errors?.length || c.result.errors?.length) throw new Error(`${p.w.name}: B/C errors: ${JSON.stringify(b.result.errors ?? c.result.errors)}`);
  return { fields: d.records.length };
}

export interface InProcessResult {
  workload: string;
  fields: number;
  usPerOp: Record<Variant, number[]>;
}

export async function runInProcess(store: BenchStore, rounds: number): Promise<{ rows: InProcessResult[]; report: string; decisionNs: number }> {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const base = buildGatewaySchema();
  const env: Env = {
    store, policy, base,
    enforced: enforceSchema(base, { policy, pseudonymSecret: 'bench-pseudonym-secret-0123456789' }),
    plain: plainSchema(),
    audit: createAudit(store.ds),
  };
  const registry = new ClientRegistry(store.ds, 0);
  const rows: InProcessResult[] = [];
  for (const w of WORKLOADS) {
    const document = parse(readFileSync(path.join(documentsDir(), w.file), 'utf8'));
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const caller = (await registry.get(w.clientId))!;
    const p: Prepared = { w, document, operation, caller };
    const { fields } = await verify(p, env);
    for (let i = 0; i < 3; i++) for (const v of ['A', 'B', 'C'] as Variant[]) await runOnce(v, p, env); // warm-up
    const usPerOp: Record<Variant, number[]> = { A: [], B: [], C: [] };
    for (let r = 0; r < rounds; r++) {
      for (const v of rotation<Variant>(['A', 'B', 'C'], r)) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < w.iterations; i++) await runOnce(v, p, env);
        usPerOp[v].push(Number(process.hrtime.bigint() - t0) / 1000 / w.iterations);
        // A's audit_events projection runs in the background (worker thread / database server): let it
        // finish here, untimed, rather than inside the next variant's samples (the audit phase reports its rate).
        if (v === 'A') await env.audit.settled();
      }
    }
    rows.push({ workload: w.name, fields, usPerOp });
  }
  await env.audit.close();
  const decisionNs = measureDecision(policy);
  const report = table(
    ['workload', 'categorised fields', 'A µs/op', 'B µs/op', 'C µs/op', 'A/B', 'B/C', 'A µs/field', '(A−B) µs/field'],
    rows.map((r) => {
      const [a, b, c] = [median(r.usPerOp.A), median(r.usPerOp.B), median(r.usPerOp.C)];
      return [r.workload, r.fields, spread(r.usPerOp.A, 0), spread(r.usPerOp.B, 0), spread(r.usPerOp.C, 0), (a / b).toFixed(2), (b / c).toFixed(2), (a / r.fields).toFixed(2), ((a - b) / r.fields).toFixed(2)];
    }),
  );
  return { rows, report, decisionNs };
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
