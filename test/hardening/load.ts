import type { DataSource } from 'typeorm';
import { sensitiveFields } from '../../src/enforcement/sensitive-fields';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { createProjection } from '../../src/audit';
import { KEYS } from '../helpers/gateway';
import { clearAllowed, SEEDED, servedCategorisedFields } from '../fuzz/oracle';
import { auditCounts } from './audit-rows';

/**
 * A steady load of personal queries from several clients and purposes, for the fault tests:
 * every response a client receives is kept, to be checked against the audit afterwards.
 */
export interface LoadRequest { key: string; headers: Record<string, string>; query: (i: number) => string }

export const MIX: LoadRequest[] = [
  { key: KEYS.mall, headers: { 'x-purpose': 'service.fulfilment' }, query: (i) => `{ user(id: ${1 + (i % 5)}) { username phone realName city orders(first: 2) { edges { node { recipientPhone shippingAddress } } } } }` },
  { key: KEYS.mall, headers: { 'x-purpose': 'service.after-sales' }, query: (i) => `{ order(id: ${1 + (i % 5)}) { recipientPhone recipientName shippingAddress user { phone } } }` },
  { key: KEYS.risk, headers: { 'x-purpose': 'security.risk-control' }, query: (i) => `{ user(id: ${1 + (i % 5)}) { phone devices { deviceId ipAddress location { lat lng } } paymentAccounts { accountNo } } }` },
  { key: KEYS.alipay, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 1) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  // The demo case names Alice and Bob, for criminal investigation only (SPEC §11).
  { key: KEYS.legal, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'GA-2026-0117' }, query: () => '{ users(first: 5) { edges { node { phone realName birthDate } } } }' },
  { key: KEYS.analytics, headers: { 'x-purpose': 'analytics' }, query: () => '{ user(id: 1) { city devices { model deviceId ipAddress } } }' },
];

export interface Outcome {
  query: string;
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  /** Milliseconds since the load started. */
  at: number;
  /** Date.now() when the response arrived. */
  wall: number;
}

export interface Load {
  outcomes: Outcome[];
  /** Requests that got no response (the connection dropped): nothing was received, so nothing is owed. */
  dropped: number;
  stop(): Promise<void>;
}

export interface LoadOptions {
  workers?: number;
  /** Each loop's pause after every request (0: none, and 20 ms after one that got no response). */
  paceMs?: number;
  /** Loop w starts w × this many ms after the first. */
  staggerMs?: number;
}

/**
 * Start `workers` loops of requests from `mix` (in turn) against `baseUrl()` (a function: the
 * gateway may move, after a restart); every response is kept, and every request that got none counted.
 */
export function runLoad(baseUrl: () => string, mix: readonly LoadRequest[], options: LoadOptions = {}): Load {
  const { workers = 6, paceMs = 0, staggerMs = 0 } = options;
  const started = Date.now();
  let running = true;
  const load: Load = { outcomes: [], dropped: 0, stop: async () => { running = false; await done; } };
  let n = 0;
  const worker = async (w: number) => {
    if (staggerMs) await sleep(w * staggerMs);
    while (running) {
      const i = n++;
      const m = mix[i % mix.length];
      const query = m.query(i);
      try {
        const res = await fetch(`${baseUrl()}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${m.key}`, ...m.headers },
          body: JSON.stringify({ query }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        load.outcomes.push({ query, status: res.status, body, text, at: Date.now() - started, wall: Date.now() });
      } catch (e) {
        load.dropped++;
        if (process.env.LOAD_DEBUG) process.stdout.write(`dropped at ${Date.now() - started} ms: ${(e as Error).message} ${String((e as { cause?: unknown }).cause)}\n`);
        if (!paceMs) await sleep(20);
      }
      if (paceMs) await sleep(paceMs);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w))).then(() => undefined);
  return load;
}

/** The fault tests' load: `workers` loops of MIX back to back. */
export const startLoad = (baseUrl: () => string, workers = 6): Load => runLoad(baseUrl, MIX, { workers });

export interface Judgement {
  problems: string[];
  served: number;
  unavailable: number;
  internal: number;
  records: number;
}

/**
 * What a client received must be accounted for: a response with personal data only with its
 * audit records all in the store; any other answer is AUDIT_UNAVAILABLE or INTERNAL, with no
 * data and no personal value.
 */
export async function judgeOutcomes(ds: DataSource, outcomes: Outcome[]): Promise<Judgement> {
  const problems: string[] = [];
  const schema = buildGatewaySchema();
  const fields = sensitiveFields(schema);
  const sensitive = (type: string, field: string) => fields.has(`${type}.${field}`);
  const disclosures: { requestId: string; total: number; served: number; clean: boolean }[] = [];
  let unavailable = 0;
  let internal = 0;
  for (const o of outcomes) {
    const code = o.body?.errors?.[0]?.extensions?.code;
    const d = o.body?.extensions?.disclosure;
    if (o.status === 503 && code === 'AUDIT_UNAVAILABLE') unavailable++;
    else if (o.status === 500 && code === 'INTERNAL') internal++;
    else if (o.status !== 200) problems.push(`HTTP ${o.status} ${code ?? o.text.slice(0, 100)} at ${o.at} ms`);
    if (o.status === 200 && !d) problems.push(`200 without a disclosure at ${o.at} ms`);
    // Whatever the status, a response that reports decisions owes their records; one that does not carries no data.
    if (d) {
      const clean = (o.body.errors ?? []).every((e: { extensions?: { code?: string } }) => e.extensions?.code === 'FIELD_DENIED');
      const served = o.body.data ? servedCategorisedFields(schema, sensitive, { query: o.query, variables: undefined, operationName: undefined }, o.body.data) : 0;
      disclosures.push({ requestId: d.requestId, total: d.allowed + d.masked + d.denied, served, clean });
    }
    else if (o.body?.data != null) problems.push(`HTTP ${o.status} with data but no disclosure at ${o.at} ms: ${o.text.slice(0, 300)}`);
    if (code === 'AUDIT_UNAVAILABLE' && (o.body?.data != null || d)) problems.push(`AUDIT_UNAVAILABLE with data or a disclosure at ${o.at} ms`);
    const purpose = d?.purpose ?? null;
    for (const s of SEEDED) if (o.text.includes(s.value) && !clearAllowed(s.category, s.subject, purpose)) problems.push(`clear ${s.category} of subject ${s.subject} in HTTP ${o.status} at ${o.at} ms`);
  }
  const counts = await auditCounts(createProjection(ds), ds, disclosures.map((d) => d.requestId));
  for (const d of disclosures) {
    // Every categorised field in the data has its record; a response without other errors, exactly its reported decisions
    // (after an error graphql-js leaves sibling resolvers running, whose late decisions are in no response).
    const have = counts.get(d.requestId) ?? 0;
    if (have < d.served || (d.clean && have !== d.total)) problems.push(`request ${d.requestId}: ${d.served} categorised fields served, ${d.total} decisions reported, ${have} audit records`);
  }
  return { problems: problems.slice(0, 20), served: disclosures.filter((d) => d.served > 0).length, unavailable, internal, records: disclosures.reduce((s, d) => s + d.served, 0) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
