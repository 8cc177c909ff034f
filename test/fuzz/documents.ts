import {
  getNamedType, getNullableType, GraphQLArgument, GraphQLEnumType, GraphQLInputObjectType, GraphQLInputType,
  GraphQLNamedType, GraphQLObjectType, GraphQLSchema, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType,
} from 'graphql';
import type { Prng } from './prng';

/**
 * Random GraphQL documents over the live schema (aliases, fragments, inline fragments,
 * directives, variables, arguments good and bad, `@purpose`, introspection), and mutations of
 * them at the character and token level. No seeded personal value is ever put into a document
 * or a variable, so any such value in a response came from the store.
 */
export const PURPOSES = [
  'account', 'service.fulfilment', 'service.payment', 'service.after-sales', 'security.risk-control', 'personalization',
  'marketing.push', 'analytics', 'third-party-app', 'research', 'legal.state-security', 'legal.public-safety',
  'legal.criminal-investigation', 'legal.vital-interests', 'audit.review',
];
export const BAD_PURPOSES = ['service', 'legal', '', ' ', 'SERVICE.FULFILMENT', 'service.fulfilment ', 'service..fulfilment', 'x'.repeat(300), 'audit', '__proto__', 'constructor', '💥', 'service.fulfilment\u0000', 'account,legal.public-safety'];
const STRINGS = ['', ' ', 'a', '1', '0', '-1', '1e309', 'null', 'true', '\' OR 1=1 --', '"; DROP TABLE users; --', '%00', '\\u0000', '../../etc/passwd', '<script>alert(1)</script>', '𝕏'.repeat(5), 'Y29udGludWU', 'YzE6MQ', 'YzE6OTk5OTk5OTk5OTk5OTk5OTk5', 'c1:1', '${jndi:ldap://x}', 'x'.repeat(200), '2026-11-25', 'GA-2026-0117'];
const INTS = [0, 1, 2, 3, 4, 5, 6, 10, 20, 99, 100, 101, -1, -2147483648, 2147483647, 2147483648, 1e15];

interface Ctx {
  rng: Prng;
  schema: GraphQLSchema;
  fragments: string[];
  variables: { name: string; type: string; value: unknown }[];
  depthBudget: number;
  /** Selections left to write: keeps a deep document from growing as 6^depth. */
  sizeBudget: number;
  aliasCount: number;
  /** Whether to slip in deliberate mistakes (wrong kinds, unknown names, conflicting aliases); clean documents reach execution. */
  noisy: boolean;
}

/** The data a partner reads, most of the time; the rest of the API (consent, audit, onboarding) now and then. */
const DATA_ROOTS = new Set(['user', 'users', 'order', 'device']);

function literal(ctx: Ctx, type: GraphQLInputType, depth = 0): string {
  const { rng } = ctx;
  if (ctx.noisy && rng.chance(0.04)) return 'null';
  if (ctx.noisy && rng.chance(0.03)) return rng.pick(['"x"', '1', 'true', '[]', '{}', 'ALIPAY', '1.5']); // the wrong kind
  const t = getNullableType(type);
  if (isListType(t)) return `[${Array.from({ length: rng.int(0, 3) }, () => literal(ctx, t.ofType as GraphQLInputType, depth + 1)).join(', ')}]`;
  if (isEnumType(t)) return rng.chance(0.9) ? rng.pick((t as GraphQLEnumType).getValues()).name : 'NOPE';
  if (isInputObjectType(t)) {
    if (depth > 3) return '{}';
    const fields = Object.values((t as GraphQLInputObjectType).getFields()).filter((f) => isNonNullType(f.type) || rng.chance(0.6));
    return `{ ${fields.map((f) => `${f.name}: ${literal(ctx, f.type, depth + 1)}`).join(', ')} }`;
  }
  const name = (t as GraphQLNamedType).name;
  if (name === 'Int') return String(ctx.noisy ? rng.pick(INTS) : rng.int(1, 12));
  if (name === 'Float') return rng.pick(['0.5', '1e3', '-0.0']);
  if (name === 'Boolean') return rng.chance(0.5) ? 'true' : 'false';
  if (name === 'ID') return !ctx.noisy || rng.chance(0.8) ? (rng.chance(0.5) ? String(rng.int(1, 6)) : JSON.stringify(String(rng.int(0, 7)))) : JSON.stringify(rng.pick(STRINGS));
  if (name === 'String') return JSON.stringify(rng.chance(0.5) ? rng.pick(PURPOSES) : rng.pick(STRINGS));
  return JSON.stringify(rng.pick(STRINGS));
}

/** A JSON value for a variable of this type (sometimes of the wrong type). */
export function variableValue(rng: Prng, type: GraphQLInputType, depth = 0, noisy = true): unknown {
  if (noisy && rng.chance(0.05)) return rng.pick([null, 'x', 7, true, [], {}, { a: { b: [1, 'c'] } }, 1e308, -0]);
  const t = getNullableType(type);
  if (isListType(t)) return Array.from({ length: rng.int(0, 3) }, () => variableValue(rng, t.ofType as GraphQLInputType, depth + 1, noisy));
  if (isEnumType(t)) return rng.chance(0.9) ? rng.pick((t as GraphQLEnumType).getValues()).name : 'NOPE';
  if (isInputObjectType(t)) {
    const out: Record<string, unknown> = {};
    if (depth < 3) for (const f of Object.values((t as GraphQLInputObjectType).getFields())) if (isNonNullType(f.type) || rng.chance(0.6)) out[f.name] = variableValue(rng, f.type, depth + 1, noisy);
    if (noisy && rng.chance(0.1)) out.extra = 'field';
    return out;
  }
  const name = (t as GraphQLNamedType).name;
  if (name === 'Int') return noisy ? rng.pick(INTS) : rng.int(1, 12);
  if (name === 'Boolean') return rng.chance(0.5);
  if (name === 'ID') return !noisy || rng.chance(0.7) ? String(rng.int(1, 6)) : rng.pick([rng.int(0, 7), ...STRINGS]);
  if (name === 'String') return rng.chance(0.5) ? rng.pick(PURPOSES) : rng.pick(STRINGS);
  return rng.pick(STRINGS);
}

function typeString(t: GraphQLInputType): string {
  return String(t);
}

function argument(ctx: Ctx, arg: GraphQLArgument): string {
  // A variable for the argument, now and then, declared with the argument's type (or a wrong one).
  if (ctx.rng.chance(0.25)) {
    const name = `v${ctx.variables.length}`;
    const type = !ctx.noisy || ctx.rng.chance(0.9) ? typeString(arg.type) : ctx.rng.pick(['Int', 'String!', '[ID]', 'Boolean']);
    ctx.variables.push({ name, type, value: variableValue(ctx.rng, arg.type, 0, ctx.noisy) });
    return `${arg.name}: $${name}`;
  }
  return `${arg.name}: ${literal(ctx, arg.type)}`;
}

function directives(ctx: Ctx): string {
  const { rng } = ctx;
  if (!rng.chance(0.15)) return '';
  const out: string[] = [];
  for (const d of ['include', 'skip']) {
    if (!rng.chance(0.5)) continue;
    if (rng.chance(0.3)) {
      const name = `v${ctx.variables.length}`;
      ctx.variables.push({ name, type: 'Boolean!', value: !ctx.noisy || rng.chance(0.9) ? rng.chance(0.5) : 'yes' });
      out.push(`@${d}(if: $${name})`);
    } else {
      out.push(`@${d}(if: ${rng.chance(0.5)})`);
    }
  }
  return out.length ? ' ' + out.join(' ') : '';
}

function alias(ctx: Ctx, type: GraphQLObjectType): string {
  const { rng } = ctx;
  if (!rng.chance(0.2)) return '';
  ctx.aliasCount++;
  if (!ctx.noisy) return `a${ctx.aliasCount}: `;
  // Confusing aliases too: another field's name, __typename, a reserved-looking name.
  return rng.pick([`a${rng.int(0, 30)}`, rng.pick(Object.keys(type.getFields())), '__typename', 'data', 'errors', 'extensions']) + ': ';
}

function selection(ctx: Ctx, type: GraphQLObjectType, depth: number): string {
  const { rng } = ctx;
  const all = Object.values(type.getFields());
  const data = all.filter((f) => DATA_ROOTS.has(f.name));
  const fields = data.length && (!ctx.noisy || rng.chance(0.7)) ? data : all;
  const parts: string[] = [];
  const n = rng.int(1, Math.min(6, fields.length + 1));
  for (let i = 0; i < n && ctx.sizeBudget > 0; i++) {
    ctx.sizeBudget--;
    const roll = rng.next();
    if (roll < 0.05) { parts.push(`${alias(ctx, type)}__typename`); continue; }
    if (roll < 0.12 && depth < ctx.depthBudget) { parts.push(`...${directives(ctx)} { ${selection(ctx, type, depth)} }`); continue; }
    if (roll < 0.17 && depth < ctx.depthBudget) { parts.push(`... on ${type.name}${directives(ctx)} { ${selection(ctx, type, depth)} }`); continue; }
    if (roll < 0.24 && depth < ctx.depthBudget && ctx.fragments.length < 4) {
      const name = `F${ctx.fragments.length}`;
      ctx.fragments.push(''); // reserve the name (fragments may nest)
      const index = ctx.fragments.length - 1;
      ctx.fragments[index] = `fragment ${name} on ${type.name} { ${selection(ctx, type, depth)} }`;
      parts.push(`...${name}${directives(ctx)}`);
      continue;
    }
    const field = rng.pick(fields);
    const args = field.args.filter((a) => isNonNullType(a.type) || rng.chance(0.4)).map((a) => argument(ctx, a));
    if (ctx.noisy && rng.chance(0.02)) args.push(`${rng.pick(['frist', 'id', 'phone', 'purpose'])}: 1`); // an unknown argument
    const named = getNamedType(field.type);
    let sub = '';
    if (isObjectType(named)) {
      if (depth >= ctx.depthBudget) continue;
      sub = ` { ${selection(ctx, named, depth + 1)} }`;
    }
    parts.push(`${alias(ctx, type)}${field.name}${args.length ? `(${args.join(', ')})` : ''}${directives(ctx)}${sub}`);
  }
  if (!parts.length) parts.push('__typename');
  if (ctx.noisy && rng.chance(0.02)) parts.push(rng.pick(['phon', 'realname', 'password', '__schema']));
  return parts.join(' ');
}

export interface GeneratedDocument {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** One random operation (query, or now and then a mutation), with its fragments and variables. */
export function randomDocument(rng: Prng, schema: GraphQLSchema, opts: { mutations: boolean; purposes?: readonly string[] }): GeneratedDocument {
  const noisy = rng.chance(0.5);
  const ctx: Ctx = { rng, schema, fragments: [], variables: [], depthBudget: rng.weighted([[6, 3], [4, 5], [2, 8], [1, 13]]), sizeBudget: rng.weighted([[6, 12], [3, 40], [1, 120]]), aliasCount: 0, noisy };
  const mutation = opts.mutations && schema.getMutationType() && rng.chance(0.08);
  const root = mutation ? schema.getMutationType()! : schema.getQueryType()!;
  let body = selection(ctx, root, 1);
  if (!mutation && noisy && rng.chance(0.1)) body += rng.pick([' __schema { types { name fields { name } } }', ' __type(name: "User") { fields { name } }', ' s: __schema { queryType { name } }']);
  let purpose = '';
  if (rng.chance(0.3)) {
    const own = opts.purposes?.length && rng.chance(0.7) ? rng.pick(opts.purposes) : null;
    const name = own === 'legal' ? 'legal.criminal-investigation' : own ?? (rng.chance(0.85) ? rng.pick(PURPOSES) : rng.pick(BAD_PURPOSES));
    const caseRef = rng.chance(0.5) || name.startsWith('legal.') ? `, caseRef: ${JSON.stringify(noisy ? rng.pick(['GA-2026-0117', '', 'x y', 'A'.repeat(70)]) : 'GA-2026-0117')}` : '';
    if (rng.chance(0.2)) {
      const v = `v${ctx.variables.length}`;
      ctx.variables.push({ name: v, type: 'String!', value: name });
      purpose = ` @purpose(name: $${v}${caseRef})`;
    } else {
      purpose = ` @purpose(name: ${JSON.stringify(name)}${caseRef})`;
    }
  }
  const named = rng.chance(0.5) ? `Op${rng.int(0, 9)}` : '';
  const vars = ctx.variables.length ? `(${ctx.variables.map((v) => `$${v.name}: ${v.type}`).join(', ')})` : '';
  const keyword = mutation ? 'mutation' : rng.chance(0.85) || named || vars || purpose ? 'query' : '';
  const head = keyword ? `${keyword}${named ? ' ' + named : ''}${vars}${purpose} ` : '';
  const query = [`${head}{ ${body} }`, ...ctx.fragments].join('\n');
  const variables: Record<string, unknown> = {};
  for (const v of ctx.variables) if (rng.chance(0.95)) variables[v.name] = v.value;
  return { query, variables, operationName: named && rng.chance(0.7) ? (rng.chance(0.95) ? named : 'Nope') : undefined };
}

const TOKENS = ['{', '}', '(', ')', '[', ']', ':', '!', '$', '@', '...', '=', '|', '&', '"', '"""', '#', ',', '\n', 'query', 'mutation', 'subscription', 'fragment', 'on', 'null', 'true', '__typename', '__schema', '@include(if: true)', '@skip(if: $x)', '@purpose(name: "account")', 'phone', 'user(id: 1)', 'order(id: 1)', 'first: 100', '\u0000', '\uFEFF', '\uD800', '𝒜', '\\', '\r\n', '1e999', '0x10', '-0'];

/** A mutation of a document: delete, duplicate, insert or swap characters or tokens, or truncate. */
export function mutateDocument(rng: Prng, doc: string): string {
  let s = doc;
  const rounds = rng.int(1, 4);
  for (let i = 0; i < rounds; i++) {
    const at = rng.int(0, s.length);
    const len = rng.int(1, Math.min(20, Math.max(1, s.length - at)));
    switch (rng.int(0, 6)) {
      case 0: s = s.slice(0, at) + s.slice(at + len); break;
      case 1: s = s.slice(0, at) + rng.pick(TOKENS) + s.slice(at); break;
      case 2: s = s.slice(0, at) + s.slice(at, at + len).repeat(rng.int(2, 30)) + s.slice(at); break;
      case 3: s = s.slice(0, at); break;
      case 4: s = s.slice(0, at) + String.fromCharCode(rng.int(0, 0xffff)) + s.slice(at + 1); break;
      case 5: { const b = rng.int(0, s.length); s = s.slice(0, Math.min(at, b)) + s.slice(Math.max(at, b)) + s.slice(Math.min(at, b), Math.max(at, b)); break; }
      default: s = s.replace(/\{/g, () => (rng.chance(0.1) ? '{ ' + rng.pick(TOKENS) + ' ' : '{'));
    }
  }
  return s;
}

/** Hand-written starting points for the mutator: the shapes partners write, and the tricky ones. */
export const CORPUS = [
  '{ user(id: 1) { id username phone realName city } }',
  'query @purpose(name: "service.fulfilment") { order(id: 1) { orderNo recipientName recipientPhone shippingAddress user { phone } } }',
  '{ users(first: 5) { edges { cursor node { id phone devices { deviceId ipAddress location { lat lng accuracyM } } } } pageInfo { hasNextPage endCursor } } }',
  '{ user(id: 1) { a: phone b: phone ...F ... on User { realName } } } fragment F on User { birthDate paymentAccounts { accountNo holderName cardExpiry provider } }',
  'query Q($id: ID!, $i: Boolean!) { user(id: $id) { phone @include(if: $i) realName @skip(if: $i) } }',
  '{ device(id: 1) { model osVersion deviceId macAddress ipAddress location { lat lng accuracyM } wifiBssid city lastSeenAt } }',
  '{ __typename user(id: 1) { __typename: phone } }',
  '{ __schema { types { name } } }',
  'query @purpose(name: "legal.public-safety", caseRef: "GA-2026-0117") { user(id: 5) { phone realName orders { edges { node { recipientPhone } } } } }',
  '{ order(id: 2) { paymentAccount { accountNo holderName } user { orders(first: 100) { edges { node { user { phone } } } } } } }',
];

