import type { GraphQLSchema } from 'graphql';
import { BAD_PURPOSES, CORPUS, mutateDocument, PURPOSES, randomDocument } from './documents';
import type { Prng } from './prng';
import type { Sent } from './oracle';

export interface FuzzClient {
  /** The client's id, for the scope oracle (SPEC §11). */
  id: string;
  key: string;
  purposes: readonly string[];
  /** May run mutations that change the facts the oracle relies on (consent, erasure): not fuzzed with mutations. */
  mayChangeFacts: boolean;
}

export interface FuzzRequest {
  method: string;
  /** Path and query string. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** What the gateway will take as the operation, for the oracle. */
  sent: Sent;
  /** The client the request authenticates as, when it sends a client's own key (not junk, not none). */
  clientId?: string;
}

const CONTENT_TYPES: readonly (readonly [number, string | null])[] = [
  [85, 'application/json'], [3, 'application/json; charset=utf-8'], [2, 'application/graphql-response+json'], [2, null],
  [2, 'text/plain'], [2, 'application/graphql'], [1, 'application/x-www-form-urlencoded'], [1, 'application/json; charset=latin1'], [1, 'multipart/form-data; boundary=x'], [1, 'APPLICATION/JSON'],
];
const ACCEPTS: readonly (readonly [number, string | null])[] = [
  [70, null], [10, 'application/json'], [8, 'application/graphql-response+json'], [4, '*/*'], [3, 'text/html'], [2, 'application/xml'], [2, 'application/graphql-response+json;q=0.9, application/json;q=0.8'], [1, ''],
];
const JUNK_HEADERS = ['x-forwarded-for', 'x-apollo-operation-name', 'apollo-require-preflight', 'cookie', 'x-request-id', 'origin', 'x-http-method-override', 'x-explain', 'x-case-ref', 'x-purpose'];
const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

function junkValue(rng: Prng): string {
  return Array.from({ length: rng.int(0, 40) }, () => rng.pick([...PRINTABLE])).join('').trim();
}

function junkDocument(rng: Prng): string {
  return rng.pick([
    '', ' ', '{', '}', 'null', '{}', '[]', 'query', 'subscription { x }', '{ user(id: 1) }', '{ ' + '{ '.repeat(rng.int(1, 400)),
    'query Q($a: [[[[[[[[[[Int]]]]]]]]]]) { __typename }', '{ a: __typename '.repeat(rng.int(1, 50)) + '}',
    '{ __typename ' + '@include(if: true) '.repeat(rng.int(2, 60)) + '}', '"""' + 'x'.repeat(rng.int(0, 5000)), '# only a comment',
    Array.from({ length: rng.int(1, 200) }, () => String.fromCharCode(rng.int(0, 0x2fff))).join(''),
  ]);
}

/** One random request: a client (or none), a document (generated, mutated, hand-written or junk), variables, headers, a method, a body shape. */
export function randomRequest(rng: Prng, schema: GraphQLSchema, clients: readonly FuzzClient[]): FuzzRequest {
  const client = rng.weighted<FuzzClient | 'junk' | null>([[88, rng.pick(clients)], [6, 'junk'], [6, null]]);
  const own = client && client !== 'junk' ? client : null;

  const doc = rng.weighted<() => { query: string; variables: Record<string, unknown>; operationName?: string }>([
    [55, () => randomDocument(rng, schema, { mutations: !own?.mayChangeFacts, purposes: own?.purposes })],
    [25, () => { const d = randomDocument(rng, schema, { mutations: false, purposes: own?.purposes }); return { ...d, query: mutateDocument(rng, d.query) }; }],
    [8, () => ({ query: rng.chance(0.5) ? rng.pick(CORPUS) : mutateDocument(rng, rng.pick(CORPUS)), variables: { id: String(rng.int(0, 6)), i: rng.chance(0.5) } })],
    [7, () => ({ query: junkDocument(rng), variables: {} })],
  ])();
  if (own?.mayChangeFacts && /\bmutation\b/.test(doc.query)) doc.query = doc.query.replace(/\bmutation\b/g, 'query');

  const headers: Record<string, string> = {};
  if (client === 'junk') headers.authorization = rng.pick(['Bearer ', 'Bearer nope', 'Basic YTpi', 'bearer demo-mall-key ', `Bearer ${junkValue(rng)}`, 'Bearer demo-mall-key, Bearer demo-legal-key', 'Bearer ' + 'k'.repeat(600)]);
  else if (own) headers.authorization = rng.chance(0.97) ? `Bearer ${own.key}` : `bearer   ${own.key}`;
  // A purpose header, usually one the client may declare; rarely beside a directive (the two must agree).
  if (rng.chance(doc.query.includes('@purpose(') ? 0.15 : 0.75)) {
    const purpose = own && rng.chance(0.8) ? rng.pick(own.purposes) : rng.chance(0.8) ? rng.pick(PURPOSES) : rng.pick(BAD_PURPOSES);
    headers['x-purpose'] = purpose === 'legal' ? rng.pick(PURPOSES.filter((p) => p.startsWith('legal.'))) : purpose.replace(/[^\x20-\x7e]/g, '');
    if (headers['x-purpose'].startsWith('legal') && rng.chance(0.8)) headers['x-case-ref'] = 'GA-2026-0117';
  }
  if (rng.chance(0.1)) headers['x-case-ref'] = rng.pick(['GA-2026-0117', '', 'x y', junkValue(rng)]);
  if (rng.chance(0.2)) headers['x-explain'] = rng.pick(['1', '0', 'true', '']);
  const accept = rng.weighted(ACCEPTS);
  if (accept !== null) headers.accept = accept;
  if (rng.chance(0.08)) headers[rng.pick(JUNK_HEADERS)] = junkValue(rng);

  const method = rng.weighted([[74, 'POST'], [20, 'GET'], [6, rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'])]]);
  if (method === 'GET' || method === 'HEAD') {
    const params = new URLSearchParams();
    if (rng.chance(0.97)) params.set('query', doc.query);
    const variables = rng.chance(0.1) ? junkValue(rng) : JSON.stringify(doc.variables);
    if (Object.keys(doc.variables).length || rng.chance(0.1)) params.set('variables', variables);
    if (doc.operationName !== undefined) params.set('operationName', doc.operationName);
    if (rng.chance(0.03)) params.set('extensions', rng.pick(['{"persistedQuery":{"version":1,"sha256Hash":"abc"}}', '[]', 'x']));
    const search = params.toString();
    // Over 8 KiB of URL, the request goes as a POST: Node refuses long headers itself (431).
    if (search.length < 8000) {
      let parsedVariables: unknown;
      try { parsedVariables = JSON.parse(variables); } catch { parsedVariables = undefined; }
      return { method, target: `/graphql?${search}`, headers, clientId: own?.id, sent: { query: params.get('query') ?? undefined, variables: params.has('variables') ? parsedVariables : undefined, operationName: doc.operationName } };
    }
  }

  const contentType = rng.weighted(CONTENT_TYPES);
  if (contentType !== null) headers['content-type'] = contentType;
  const payload: Record<string, unknown> = { query: doc.query };
  if (Object.keys(doc.variables).length || rng.chance(0.1)) payload.variables = rng.chance(0.05) ? rng.pick(['x', 1, [], null]) : doc.variables;
  if (doc.operationName !== undefined) payload.operationName = doc.operationName;
  if (rng.chance(0.03)) payload.extensions = rng.pick([{ persistedQuery: { version: 1, sha256Hash: 'abc' } }, 'x', { a: 1 }]);
  if (rng.chance(0.03)) payload.query = rng.pick([1, null, { a: 1 }, ['{ __typename }'], true]);
  const body = rng.weighted<() => string>([
    [88, () => JSON.stringify(payload)],
    [4, () => JSON.stringify([payload, { query: '{ __typename }' }])],
    [3, () => JSON.stringify(payload).slice(0, rng.int(0, 40))],
    [2, () => JSON.stringify({ ...payload, pad: 'x'.repeat(rng.int(100_000, 150_000)) })],
    [3, () => rng.pick(['null', '1', '"x"', 'true', '', '{"query":"{ __typename }","query":"{ user(id: 1) { phone } }"}', '\uFEFF' + JSON.stringify(payload)])],
  ])();
  let sent: Sent = { query: typeof payload.query === 'string' ? payload.query : undefined, variables: payload.variables, operationName: payload.operationName };
  // Duplicate keys: JSON.parse keeps the last one.
  if (body.startsWith('{"query":"{ __typename }","query"')) sent = { query: '{ user(id: 1) { phone } }', variables: undefined, operationName: undefined };
  return { method: method === 'GET' || method === 'HEAD' ? 'POST' : method, target: '/graphql', headers, body: method === 'OPTIONS' ? undefined : body, sent, clientId: own?.id };
}
