import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { documentsProgram } from '../../src/cli/documents';
import { Order } from '../../src/db/entities';
import { documentHash } from '../../src/onboarding/trusted-documents';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §10 trusted documents over real HTTP: the documents CLI, and a trusted-documents-only client. */
let gw: TestGateway;
let dir: string;
const POS_KEY = 'test-pos-key-0123456789';
/** An order of Alice's placed through shop-pos: the only order in shop-pos's scope (SPEC §11, `orders`: the order's channel). */
let POS_ORDER: string;

beforeAll(async () => {
  gw = await startTestGateway();
  dir = mkdtempSync(path.join(tmpdir(), 'purposegate-documents-'));
  await gw.gateway.registry.create({ id: 'shop-pos', kind: 'partner', role: 'reader', purposes: ['service.fulfilment'], trustedDocumentsOnly: true }, POS_KEY);
  const inserted = await gw.store.ds.getRepository(Order).insert({
    orderNo: 'POS-2026-0001', userId: 1, paymentAccountId: null, status: 'PAID', channel: 'shop-pos', totalAmount: 3900, currency: 'CNY',
    recipientName: 'Alice Wang', recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd', createdAt: new Date('2026-11-20T10:00:00Z'),
  });
  POS_ORDER = String(inserted.identifiers[0].id);
});
afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm run documents -- …` in-process on the test store; resolves to its output, rejects with its error. */
async function documents(...args: string[]): Promise<string> {
  let out = '';
  const program = documentsProgram({ withStore: (fn) => fn(gw.store.ds), out: (t) => void (out += t) });
  program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.commands.forEach((c) => c.exitOverride());
  await program.parseAsync(['node', 'documents', ...args]);
  return out;
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function post(key: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

// A comment and odd spacing on purpose: the id is the hash of the text exactly as given.
const DELIVER = `# Delivery label for one order.
query Deliver($id: ID!) @purpose(name: "service.fulfilment") {
  order(id: $id) {   orderNo recipientName recipientPhone shippingAddress }
}
`;
const DELIVER_ID = documentHash(DELIVER);

describe('documents add / list / remove', () => {
  it('add registers the file under its SHA-256 with its check', async () => {
    const out = await documents('add', '--client', 'shop-pos', file('deliver.graphql', DELIVER));
    expect(out).toContain(`registered sha256:${DELIVER_ID} for shop-pos (Deliver)`);
    expect(out).toMatch(/order\.recipientPhone\s+contact\.phone\s+ALLOW\s+denied if OUT_OF_SCOPE or SUBJECT_ERASED/);
  });

  it('add refuses a document with a field the client can never receive, unless --force', async () => {
    const text = `query Card($id: ID!) @purpose(name: "service.fulfilment") { order(id: $id) { recipientPhone paymentAccount { accountNo } } }`;
    await expect(documents('add', '--client', 'shop-pos', file('card.graphql', text))).rejects.toThrow(/can never receive:\n {2}Card: order\.paymentAccount\.accountNo \(financial\.account, PURPOSE_FORBIDS\)/);
    const forced = await documents('add', '--client', 'shop-pos', '--force', file('card.graphql', text));
    expect(forced).toContain('warning: registered with --force');
    await documents('remove', '--client', 'shop-pos', documentHash(text));
  });

  it('add refuses a document without a purpose, and says how to give one: @purpose in it, or --purpose', async () => {
    const text = `query Label($id: ID!) { order(id: $id) { recipientName } }`;
    const refusal = documents('add', '--client', 'shop-pos', file('label.graphql', text));
    await expect(refusal).rejects.toThrow(/the gateway would refuse it:\n {2}.*\n\(declare the purpose in the document with @purpose\(name: "…"\), or check it under the purpose the client will send as X-Purpose with --purpose <purpose>; --force registers it anyway\)/);
    const out = await documents('add', '--client', 'shop-pos', '--purpose', 'service.fulfilment', file('label.graphql', text));
    expect(out).toContain(`registered sha256:${documentHash(text)} for shop-pos (Label)`);
    await documents('remove', '--client', 'shop-pos', documentHash(text));
    // Any other refusal names --force alone.
    await expect(documents('add', '--client', 'shop-pos', file('pay2.graphql', `query @purpose(name: "service.payment") { order(id: 1) { totalAmount } }`))).rejects.toThrow(/PURPOSE_NOT_PERMITTED[^]*\n\(--force registers it anyway\)$/);
  });

  it('add refuses a purpose the client is not registered for, and an invalid document even with --force', async () => {
    await expect(documents('add', '--client', 'shop-pos', file('pay.graphql', `query @purpose(name: "service.payment") { order(id: 1) { totalAmount } }`))).rejects.toThrow(/PURPOSE_NOT_PERMITTED/);
    await expect(documents('add', '--client', 'shop-pos', '--force', file('bad.graphql', `{ order(id: 1) { nope } }`))).rejects.toThrow(/not valid GraphQL:\n {2}Cannot query field "nope"/);
    await expect(documents('add', '--client', 'nobody', file('deliver2.graphql', DELIVER))).rejects.toThrow(/no client "nobody"/);
  });

  it('list shows each document with its stored check', async () => {
    const out = await documents('list', '--client', 'shop-pos');
    expect(out).toContain('shop-pos: 1 document(s), trusted documents only');
    expect(out).toContain(`sha256:${DELIVER_ID}  Deliver  registered`);
    expect(out).toMatch(/order\.shippingAddress\s+contact\.address\s+ALLOW/);
    const json = JSON.parse(await documents('list', '--client', 'shop-pos', '--json'));
    expect(json).toEqual([expect.objectContaining({ documentId: `sha256:${DELIVER_ID}`, operationNames: ['Deliver'] })]);
    expect(json[0].check.fields.map((f: { path: string }) => f.path)).toEqual(['order.recipientName', 'order.recipientPhone', 'order.shippingAddress']);
  });
});

describe('a trusted-documents-only client', () => {
  const expectServed = (r: { status: number; body: { data?: { order?: unknown } } }) => {
    expect(r.status).toBe(200);
    expect(r.body.data?.order).toEqual({ orderNo: 'POS-2026-0001', recipientName: 'Alice Wang', recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd' });
  };
  const expectRefused = (r: { status: number; body: { data?: unknown; errors?: { extensions: { code: string } }[] } }) => {
    expect(r.status).toBe(403);
    expect(r.body.errors?.[0].extensions.code).toBe('DOCUMENT_NOT_TRUSTED');
    expect(r.body.data).toBeUndefined();
  };

  it('is served a registered document by documentId', async () => {
    expectServed(await post(POS_KEY, { documentId: `sha256:${DELIVER_ID}`, variables: { id: POS_ORDER } }));
  });

  it('is served a registered document sent as its full text', async () => {
    expectServed(await post(POS_KEY, { query: DELIVER, variables: { id: POS_ORDER } }));
  });

  it("is served a registered document by Apollo's persisted query hash", async () => {
    expectServed(await post(POS_KEY, { variables: { id: POS_ORDER }, extensions: { persistedQuery: { version: 1, sha256Hash: DELIVER_ID } } }));
  });

  it('is served only the rows in its scope: an order of another channel is OUT_OF_SCOPE, as a missing one', async () => {
    for (const id of ['1', '99999']) {
      const r = await post(POS_KEY, { documentId: `sha256:${DELIVER_ID}`, variables: { id } });
      expect([r.status, r.body.data.order, r.body.errors[0].extensions.code]).toEqual([200, null, 'OUT_OF_SCOPE']);
    }
  });

  it('is served by documentId over GET', async () => {
    const params = new URLSearchParams({ documentId: `sha256:${DELIVER_ID}`, variables: JSON.stringify({ id: POS_ORDER }) });
    const res = await fetch(`${gw.url}/graphql?${params}`, { headers: { authorization: `Bearer ${POS_KEY}`, 'apollo-require-preflight': 'true' } });
    expectServed({ status: res.status, body: (await res.json()) as Json });
  });

  it.each([
    ['an unregistered document', { query: `query @purpose(name: "service.fulfilment") { order(id: 1) { recipientPhone } }` }],
    ['a registered document with one byte changed', { query: DELIVER.replace('   orderNo', '  orderNo'), variables: { id: '1' } }],
    ['an unknown documentId', { documentId: `sha256:${'0'.repeat(64)}` }],
    ['a malformed documentId', { documentId: DELIVER_ID }],
    ['an unknown Apollo hash', { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }],
    ['no document at all', { variables: { id: '1' } }],
    ['a batch', [{ documentId: `sha256:${DELIVER_ID}` }]],
  ])('is refused %s with DOCUMENT_NOT_TRUSTED (403) before execution', async (_name, body) => {
    expectRefused(await post(POS_KEY, body));
  });

  it('is refused a document registered for another client', async () => {
    const other = `query Mine @purpose(name: "service.fulfilment") { order(id: 1) { recipientPhone } }`;
    await documents('add', '--client', 'mall-app', file('mall.graphql', other));
    expectRefused(await post(POS_KEY, { documentId: `sha256:${documentHash(other)}` }));
    expectRefused(await post(POS_KEY, { query: other }));
  });

  it('a documentId with a query that is not its text is a bad request', async () => {
    const r = await post(POS_KEY, { documentId: `sha256:${DELIVER_ID}`, query: '{ order(id: 1) { recipientPhone } }' });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('is refused a document once it is removed', async () => {
    const extra = `query Extra @purpose(name: "service.fulfilment") { order(id: ${POS_ORDER}) { orderNo } }`;
    await documents('add', '--client', 'shop-pos', file('extra.graphql', extra));
    expect((await post(POS_KEY, { documentId: `sha256:${documentHash(extra)}` })).body.data.order.orderNo).toBe('POS-2026-0001');
    expect(await documents('remove', '--client', 'shop-pos', `sha256:${documentHash(extra)}`)).toContain('removed');
    expectRefused(await post(POS_KEY, { documentId: `sha256:${documentHash(extra)}` }));
    await expect(documents('remove', '--client', 'shop-pos', documentHash(extra))).rejects.toThrow(/has no document/);
  });
});

describe('other clients', () => {
  it('send any document, and may use the ids of their own registered documents', async () => {
    const mine = `query Mine @purpose(name: "service.fulfilment") { order(id: 1) { recipientPhone } }`;
    expect((await post(KEYS.mall, { query: '{ order(id: 1) { orderNo } }' })).body.data.order.orderNo).toBe('MP-2026-0001');
    expect((await post(KEYS.mall, { documentId: `sha256:${documentHash(mine)}` })).body.data.order.recipientPhone).toBe('13812345678');
    expect((await post(KEYS.mall, { documentId: `sha256:${DELIVER_ID}` })).status).toBe(403);
  });

  it("have an unregistered Apollo hash left to Apollo's own persisted queries", async () => {
    const r = await post(KEYS.mall, { extensions: { persistedQuery: { version: 1, sha256Hash: 'e'.repeat(64) } } });
    expect(r.body.errors[0].extensions.code).toMatch(/^PERSISTED_QUERY_NOT_(FOUND|SUPPORTED)$/);
  });

  it('become trusted-documents-only when flagged', async () => {
    await gw.gateway.registry.update('docs-app', { trustedDocumentsOnly: true });
    expectRefusedLoose(await post(KEYS.docs, { query: '{ order(id: 1) { orderNo } }' }));
    await gw.gateway.registry.update('docs-app', { trustedDocumentsOnly: false });
    expect((await post(KEYS.docs, { query: '{ order(id: 1) { orderNo } }' })).status).toBe(200);
  });
});

function expectRefusedLoose(r: { status: number; body: { errors?: { extensions: { code: string } }[] } }) {
  expect([r.status, r.body.errors?.[0].extensions.code]).toEqual([403, 'DOCUMENT_NOT_TRUSTED']);
}
