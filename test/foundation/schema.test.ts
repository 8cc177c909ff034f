import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FieldDefinitionNode, GraphQLObjectType, Kind, ObjectTypeDefinitionNode, parse, StringValueNode } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildGatewaySchema, printGatewaySchema } from '../../src/graphql/schema';

/**
 * SPEC §3: the emitted SDL, with its fixed names and `@sensitive(category: …)` on every
 * personal field. schema/schema.graphql is what partners read: it must not go stale.
 */
const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema', 'schema.graphql');
const sdl = readFileSync(SCHEMA_FILE, 'utf8');
const doc = parse(sdl);

function type(name: string): ObjectTypeDefinitionNode {
  const t = doc.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name);
  if (!t) throw new Error(`type ${name} is missing from schema.graphql`);
  return t;
}

function field(typeName: string, name: string): FieldDefinitionNode {
  const f = type(typeName).fields?.find((x) => x.name.value === name);
  if (!f) throw new Error(`${typeName}.${name} is missing from schema.graphql`);
  return f;
}

function categoryOf(f: FieldDefinitionNode): string | null {
  const d = f.directives?.find((x) => x.name.value === 'sensitive');
  const arg = d?.arguments?.find((a) => a.name.value === 'category');
  return arg ? (arg.value as StringValueNode).value : null;
}

/** The categories of SPEC §3, field by field. */
const CATEGORIES: Record<string, Record<string, string>> = {
  User: {
    username: 'profile.basic', nickname: 'profile.basic', avatarUrl: 'profile.basic',
    gender: 'profile.extended', signature: 'profile.extended',
    realName: 'identity.name', birthDate: 'identity.birthdate', phone: 'contact.phone', city: 'location.coarse',
  },
  PaymentAccount: { accountNo: 'financial.account', holderName: 'identity.name', cardExpiry: 'financial.card' },
  Order: {
    totalAmount: 'transaction.order', items: 'transaction.order',
    recipientName: 'identity.name', recipientPhone: 'contact.phone', shippingAddress: 'contact.address',
  },
  Device: {
    model: 'device.info', osVersion: 'device.info', deviceId: 'device.identifier', macAddress: 'device.identifier',
    ipAddress: 'location.network', location: 'location.precise', wifiBssid: 'location.precise', city: 'location.coarse',
  },
};

/** Fields of SPEC §3 without a category, with their exact type. */
const PLAIN: Record<string, Record<string, string>> = {
  User: { id: 'ID!', isMinor: 'Boolean!', paymentAccounts: '[PaymentAccount!]!', orders: 'OrderConnection!', devices: '[Device!]!' },
  PaymentAccount: { id: 'ID!', provider: 'PaymentProvider!' },
  Order: { id: 'ID!', orderNo: 'String!', status: 'OrderStatus!', currency: 'String', createdAt: 'String!', user: 'User', paymentAccount: 'PaymentAccount' },
  Device: { id: 'ID!', lastSeenAt: 'String' },
  Query: { user: 'User', users: 'UserConnection!', order: 'Order', device: 'Device' },
};

function typeString(f: FieldDefinitionNode): string {
  const print = (t: FieldDefinitionNode['type']): string =>
    t.kind === Kind.NON_NULL_TYPE ? `${print(t.type)}!` : t.kind === Kind.LIST_TYPE ? `[${print(t.type)}]` : t.name.value;
  return print(f.type);
}

test('schema/schema.graphql is the SDL the code emits (run `npm run build && npm run schema:emit` after a schema change)', () => {
  expect(sdl).toBe(printGatewaySchema());
});

test('the @sensitive and @purpose directives are declared', () => {
  expect(sdl).toMatch(/directive @sensitive\(\s[\s\S]*?category: String!/);
  expect(sdl).toMatch(/directive @purpose\(\s[\s\S]*?name: String!/);
});

describe.each(Object.keys(CATEGORIES))('type %s', (typeName) => {
  test.each(Object.entries(CATEGORIES[typeName]))('%s carries @sensitive(category: "%s") and is nullable', (name, category) => {
    const f = field(typeName, name);
    expect(categoryOf(f)).toBe(category);
    expect(f.type.kind).not.toBe(Kind.NON_NULL_TYPE);
  });

  test('no other field carries a category, and every categorised field is nullable', () => {
    for (const f of type(typeName).fields ?? []) {
      const c = categoryOf(f);
      if (c !== null) {
        expect([f.name.value, c]).toEqual([f.name.value, CATEGORIES[typeName][f.name.value]]);
        expect([f.name.value, f.type.kind]).not.toEqual([f.name.value, Kind.NON_NULL_TYPE]);
      }
    }
  });
});

test('text form: a few fields exactly as partners read them', () => {
  expect(sdl).toContain('phone: String @sensitive(category: "contact.phone")');
  expect(sdl).toContain('realName: String @sensitive(category: "identity.name")');
  expect(sdl).toContain('shippingAddress: String @sensitive(category: "contact.address")');
  expect(sdl).toContain('location: GeoPoint @sensitive(category: "location.precise")');
  expect(sdl).toMatch(/accountNo: String @sensitive\(category: "financial\.account", cardCategory: "financial\.card"\)/);
});

test('the card number of a BANK_CARD account is categorised financial.card', () => {
  const d = field('PaymentAccount', 'accountNo').directives!.find((x) => x.name.value === 'sensitive')!;
  expect((d.arguments!.find((a) => a.name.value === 'cardCategory')!.value as StringValueNode).value).toBe('financial.card');
});

test.each(Object.entries(PLAIN).flatMap(([t, fields]) => Object.entries(fields).map(([f, ty]) => [t, f, ty])))(
  '%s.%s: %s, without a category', (typeName, name, ty) => {
    const f = field(typeName, name);
    expect(typeString(f)).toBe(ty);
    expect(categoryOf(f)).toBeNull();
  });

test('every id field of every type has no category', () => {
  const ids = doc.definitions
    .filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION)
    .flatMap((t) => (t.fields ?? []).filter((f) => f.name.value === 'id').map((f) => [t.name.value, f] as const));
  expect(ids.length).toBeGreaterThanOrEqual(4);
  for (const [, f] of ids) expect(categoryOf(f)).toBeNull();
});

test('connections are Relay-style, with the arguments of SPEC §3', () => {
  for (const conn of ['UserConnection', 'OrderConnection']) {
    expect(Object.fromEntries((type(conn).fields ?? []).map((f) => [f.name.value, typeString(f)]))).toMatchObject({ pageInfo: 'PageInfo!' });
    expect(typeString(field(conn, 'edges'))).toMatch(/^\[\w+Edge!\]!$/);
  }
  for (const edge of ['UserEdge', 'OrderEdge']) {
    expect(typeString(field(edge, 'cursor'))).toBe('String!');
    expect(typeString(field(edge, 'node'))).toMatch(/^(User|Order)!$/);
  }
  expect(Object.fromEntries((type('PageInfo').fields ?? []).map((f) => [f.name.value, typeString(f)]))).toEqual({
    hasNextPage: 'Boolean!', hasPreviousPage: 'Boolean!', startCursor: 'String', endCursor: 'String',
  });
  const args = (t: string, f: string) => Object.fromEntries((field(t, f).arguments ?? []).map((a) => [a.name.value, typeString(a as unknown as FieldDefinitionNode)]));
  expect(args('Query', 'users')).toMatchObject({ first: 'Int', after: 'String' });
  expect(args('User', 'orders')).toEqual({ first: 'Int', after: 'String' });
  expect(args('Query', 'user')).toEqual({ id: 'ID!' });
  expect(args('Query', 'order')).toEqual({ id: 'ID!' });
  expect(args('Query', 'device')).toEqual({ id: 'ID!' });
  expect(sdl).toMatch(/orders\([^)]*first: Int = 20/);
  expect(sdl).toMatch(/users\([^)]*first: Int = 20/);
});

test('enums have the values of SPEC §3', () => {
  const values = (name: string) => {
    const e = doc.definitions.find((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === name);
    return e && e.kind === Kind.ENUM_TYPE_DEFINITION ? (e.values ?? []).map((v) => v.name.value) : [];
  };
  expect(values('PaymentProvider')).toEqual(['ALIPAY', 'WECHAT_PAY', 'BANK_CARD']);
  expect(values('OrderStatus').length).toBeGreaterThan(0);
  expect(Object.fromEntries((type('GeoPoint').fields ?? []).map((f) => [f.name.value, typeString(f)]))).toEqual({ lat: 'Float!', lng: 'Float!', accuracyM: 'Int!' });
});

describe('arguments read in the order the resolver method declares them', () => {
  const args = (t: string, f: string) => (field(t, f).arguments ?? []).map((a) => a.name.value);

  test.each([
    ['Query', 'clientActivity', ['clientId', 'from', 'to']],
    ['Query', 'checkOperation', ['document', 'purpose', 'clientId', 'operationName']],
    ['Query', 'users', ['first', 'after', 'last', 'before']],
    ['Query', 'auditEvents', ['filter', 'first', 'after']],
    ['Query', 'erasureNotices', ['status', 'clientId', 'subjectId']],
    ['User', 'orders', ['first', 'after']],
    ['Mutation', 'createRecordsDownload', ['subjectId', 'format']],
  ])('%s.%s(%j)', (typeName, name, expected) => {
    expect(args(typeName, name)).toEqual(expected);
  });

  test('every field with arguments, from type-graphql\'s metadata (parameter index order)', () => {
    const schema = buildGatewaySchema();
    const storage = getMetadataStorage();
    const declared = (params: ReturnType<typeof getMetadataStorage>['params'] | undefined) =>
      [...(params ?? [])].sort((a, b) => a.index - b.index).flatMap((p) => (p.kind === 'arg' ? [p.name] : []));
    const objectName = (target: Function) => storage.objectTypes.find((o) => o.target === target)?.name;
    const handlers = [
      ...storage.queries.map((q) => ['Query', q.schemaName, q.params] as const),
      ...storage.mutations.map((m) => ['Mutation', m.schemaName, m.params] as const),
      ...storage.fields.map((f) => [objectName(f.target), f.schemaName, f.params] as const),
    ].filter(([typeName, , params]) => typeName && declared(params).length > 1);
    expect(handlers.length).toBeGreaterThanOrEqual(6);
    for (const [typeName, name, params] of handlers) {
      const f = (schema.getType(typeName!) as GraphQLObjectType).getFields()[name];
      expect([typeName, name, f.args.map((a) => a.name)]).toEqual([typeName, name, declared(params)]);
    }
  });
});
