import {
  DocumentNode, FragmentDefinitionNode, getNamedType, getOperationAST, GraphQLObjectType, GraphQLSchema, isObjectType, Kind, parse,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields';
import { getVariableValues } from 'graphql/execution/values';

/**
 * What a response may contain, judged without the gateway's own policy code: SPEC §4's table
 * (only its "A" cells: a value in clear needs one), the demo subjects' facts (§8), and the
 * schema's `@sensitive` marks for counting the categorised fields a response serves.
 */

/** Purposes whose table cell is A, per category (SPEC §4); `legal.` covers every legal.* purpose. */
const CLEAR_FOR: Record<string, string[]> = {
  'profile.basic': ['account', 'service.fulfilment', 'service.payment', 'service.after-sales', 'security.risk-control', 'personalization', 'marketing.push', 'third-party-app', 'legal.'],
  'profile.extended': ['account', 'security.risk-control', 'personalization', 'legal.'],
  'identity.name': ['account', 'service.fulfilment', 'security.risk-control', 'legal.'],
  'identity.birthdate': ['account', 'legal.'],
  'contact.phone': ['account', 'service.fulfilment', 'security.risk-control', 'legal.'],
  'contact.address': ['account', 'service.fulfilment', 'security.risk-control', 'legal.'],
  'financial.account': ['account', 'legal.'],
  'financial.card': ['service.payment', 'legal.'],
  'device.identifier': ['security.risk-control', 'legal.'],
  'location.network': ['security.risk-control', 'legal.'],
  'location.precise': ['security.risk-control', 'legal.'],
};
const CONSENT_PURPOSES = new Set(['personalization', 'marketing.push', 'analytics']);
/** Subjects whose consent counts, per consent-basis purpose (Lily, a minor, consented without a guardian). */
const CONSENTED: Record<string, number[]> = { personalization: [1, 4], 'marketing.push': [1], analytics: [1] };
const ERASED = new Set([5]);

/** Seeded values that occur nowhere else in the demo data, with the category and subject they belong to. */
export const SEEDED: { value: string; category: string; subject: number }[] = [
  ...[['13812345678', 1], ['13987654321', 2], ['13700001111', 3], ['13600002222', 4], ['13500003333', 5]].map(([v, s]) => ({ value: String(v), category: 'contact.phone', subject: Number(s) })),
  ...[['Alice Wang', 1], ['Bob Li', 2], ['Lily Chen', 3], ['Tom Zhou', 4], ['Erin Xu', 5]].map(([v, s]) => ({ value: String(v), category: 'identity.name', subject: Number(s) })),
  ...[['1990-05-17', 1], ['1985-11-02', 2], ['2014-03-09', 3], ['2013-08-21', 4], ['1992-01-30', 5]].map(([v, s]) => ({ value: String(v), category: 'identity.birthdate', subject: Number(s) })),
  ...[['Siming District', 1], ['Pudong New Area', 2], ['Huli District', 3], ['Gulou District', 4], ['Chaoyang District', 5]].map(([v, s]) => ({ value: String(v), category: 'contact.address', subject: Number(s) })),
  { value: 'alice.wang@example.com', category: 'financial.account', subject: 1 },
  { value: 'wx_bob_2291', category: 'financial.account', subject: 2 },
  { value: '6222021234567890123', category: 'financial.card', subject: 1 },
  ...[['A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', 1], ['9774d56d682e549c', 2], ['B2C3D4E5-F6A7-4811-9900-BBCCDDEEFF00', 3], ['3c6e0b8a9c15224a', 4], ['5d7f1c2b3a4e6f80', 5], ['AA:BB:CC:DD:EE:01', 1], ['AA:BB:CC:DD:EE:05', 5]].map(([v, s]) => ({ value: String(v), category: 'device.identifier', subject: Number(s) })),
  ...[['203.0.113.42', 1], ['2001:db8:1:2::5', 2], ['198.51.100.7', 3], ['198.51.100.8', 4], ['198.51.100.9', 5]].map(([v, s]) => ({ value: String(v), category: 'location.network', subject: Number(s) })),
  ...[['24.4798', 1], ['118.0894', 1], ['31.2304', 2], ['24.4801', 3], ['26.0745', 4], ['39.9042', 5], ['10:20:30:40:50:60', 1]].map(([v, s]) => ({ value: String(v), category: 'location.precise', subject: Number(s) })),
];

export function clearAllowed(category: string, subject: number, purpose: string | null): boolean {
  if (!purpose || ERASED.has(subject)) return false;
  if (!(CLEAR_FOR[category] ?? []).some((p) => (p.endsWith('.') ? purpose.startsWith(p) : purpose === p))) return false;
  return !CONSENT_PURPOSES.has(purpose) || (CONSENTED[purpose] ?? []).includes(subject);
}

/** Stack frames, SQL, driver names, file paths: nothing of the kind may be in a body. */
const LEAKS = [/\bat [\w.<>]+ \(/, /"stack"/, /stacktrace/i, /\.ts:\d+/, /\.js:\d+/, /node_modules/, /\/work\//, /\/tmp\//, /\bSELECT\b.*\bFROM\b/, /\bINSERT INTO\b/, /SQLITE_/, /\bER_[A-Z_]{3,}/, /typeorm/i, /QueryFailedError/, /TypeError|ReferenceError|RangeError/];

export interface Sent {
  query: string | undefined;
  variables: unknown;
  operationName: unknown;
}

export interface Received {
  status: number;
  headers: Headers;
  text: string;
}

export interface DisclosureSeen {
  requestId: string;
  /** Categorised fields in `data`: each must have its audit record. */
  served: number;
  /** allowed + masked + denied, as `extensions.disclosure` reports them. */
  total: number;
  /** No error but FIELD_DENIED: no resolver was left running, so the records must be exactly `total`. */
  clean: boolean;
}

export interface Verdict {
  problems: string[];
  /** For the audit check afterwards: the request, the categorised fields its data carries, the decisions it reported. */
  disclosure?: DisclosureSeen;
  code?: string;
}

/** Judge one response. */
export function judge(schema: GraphQLSchema, sensitive: (typeName: string, field: string) => boolean, sent: Sent, got: Received, method: string): Verdict {
  const problems: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let body: any;
  try { body = got.text ? JSON.parse(got.text) : undefined; } catch { body = undefined; }
  const code: string | undefined = body?.errors?.[0]?.extensions?.code;

  if (got.status >= 500 && !(got.status === 503 && code === 'AUDIT_UNAVAILABLE')) problems.push(`HTTP ${got.status} ${code ?? ''}`);
  if (method !== 'HEAD' && body === undefined) problems.push(`HTTP ${got.status} without a JSON body`);
  if (got.status === 429 && !(code === 'RATE_LIMITED' && /^[1-9]\d*$/.test(got.headers.get('retry-after') ?? ''))) problems.push('429 without RATE_LIMITED and Retry-After');
  if (got.status === 503 && body?.data) problems.push('AUDIT_UNAVAILABLE with data');
  for (const leak of LEAKS) if (leak.test(got.text)) problems.push(`body matches ${leak}`);

  const disclosure = body?.extensions?.disclosure;
  const purpose: string | null = typeof disclosure?.purpose === 'string' ? disclosure.purpose : null;
  for (const s of SEEDED) {
    if (got.text.includes(s.value) && !clearAllowed(s.category, s.subject, purpose)) problems.push(`clear ${s.category} of subject ${s.subject} under ${purpose ?? 'no purpose'}`);
  }

  const served = body?.data ? servedCategorisedFields(schema, sensitive, sent, body.data) : 0;
  if (disclosure) {
    const total = Number(disclosure.allowed) + Number(disclosure.masked) + Number(disclosure.denied);
    const onlyDenials = (body.errors ?? []).every((e: { extensions?: { code?: string } }) => e.extensions?.code === 'FIELD_DENIED');
    if (served > total || (onlyDenials && served !== total)) problems.push(`served ${served} categorised fields, disclosure counts ${total}`);
    return { problems, code, disclosure: { requestId: String(disclosure.requestId), served, total, clean: onlyDenials } };
  }
  if (served > 0) problems.push(`served ${served} categorised fields without a disclosure`);
  return { problems, code };
}

/**
 * How many categorised fields the response's `data` carries (a denied one is there as null):
 * the document is collected the way graphql-js executes it (fragments, @include/@skip).
 */
export function servedCategorisedFields(schema: GraphQLSchema, sensitive: (typeName: string, field: string) => boolean, sent: Sent, data: unknown): number {
  if (typeof sent.query !== 'string') return 0;
  let document: DocumentNode;
  try { document = parse(sent.query); } catch { return 0; }
  const operation = getOperationAST(document, typeof sent.operationName === 'string' ? sent.operationName : undefined);
  if (!operation) return 0;
  const inputs = sent.variables && typeof sent.variables === 'object' && !Array.isArray(sent.variables) ? (sent.variables as Record<string, unknown>) : {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
  if (!coerced.coerced) return 0;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return 0;

  let count = 0;
  const walk = (type: GraphQLObjectType, fields: Map<string, ReadonlyArray<import('graphql').FieldNode>>, value: Record<string, unknown>) => {
    for (const [key, nodes] of fields) {
      if (!(key in value)) continue;
      const name = nodes[0].name.value;
      if (name.startsWith('__')) continue;
      const def = type.getFields()[name];
      if (!def) continue;
      if (sensitive(type.name, name)) count++;
      const named = getNamedType(def.type);
      if (!isObjectType(named)) continue;
      const children = collectSubfields(schema, fragments, coerced.coerced!, named, nodes);
      const visit = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === 'object') walk(named, children, v as Record<string, unknown>);
      };
      visit(value[key]);
    }
  };
  if (data && typeof data === 'object') walk(root, collectFields(schema, fragments, coerced.coerced, root, operation.selectionSet), data as Record<string, unknown>);
  return count;
}
