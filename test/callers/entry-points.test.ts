import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/**
 * The three entry points that judge a declared purpose (a GraphQL request, checkOperation,
 * GET /schema.graphql) all judge it with callers/purpose.ts: for the same bad declaration, the
 * same code and message (the check lists it as `CODE: message`), and the same HTTP status.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const CHECK = `query Check($document: String!, $purpose: String) {
  checkOperation(document: $document, purpose: $purpose) { errors operations { rejection } }
}`;
const PHONE = '{ user(id: 1) { phone } }';

interface Refusal { status: number; code: string; message: string }

async function viaRequest(key: string, purpose: string): Promise<Refusal> {
  const r = await gw.gql(key, PHONE, { purpose });
  expect(r.body.data ?? null).toBeNull();
  return { status: r.status, code: r.body.errors[0].extensions.code, message: r.body.errors[0].message };
}

async function viaSchemaRoute(key: string, purpose: string): Promise<Refusal> {
  const res = await fetch(`${gw.url}/schema.graphql`, { headers: { authorization: `Bearer ${key}`, 'x-purpose': purpose } });
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
  return { status: res.status, code: body.errors[0].extensions.code, message: body.errors[0].message };
}

/** The check answers 200 and lists the rejection; its status is the one the request would get. */
async function viaCheck(key: string, purpose: string): Promise<{ code: string; listed: string }> {
  const r = await gw.gql(key, CHECK, { variables: { document: PHONE, purpose } });
  expect(r.status).toBe(200);
  const check = r.body.data.checkOperation;
  expect(check.errors).toHaveLength(1);
  return { code: check.operations[0].rejection, listed: check.errors[0] };
}

it.each([
  ['an unknown purpose', KEYS.mall, 'service.teleport', 400, 'PURPOSE_UNKNOWN'],
  ['a parent that is not declarable', KEYS.mall, 'service', 400, 'PURPOSE_UNKNOWN'],
  ['a long unknown purpose (quoted at 64 characters)', KEYS.mall, `service.${'x'.repeat(100)}`, 400, 'PURPOSE_UNKNOWN'],
  ['a purpose the client is not registered for', KEYS.mall, 'service.payment', 403, 'PURPOSE_NOT_PERMITTED'],
  ['a legal purpose for a client without legal', KEYS.alipay, 'legal.public-safety', 403, 'PURPOSE_NOT_PERMITTED'],
])('%s: %s from every entry point', async (_name, key, purpose, status, code) => {
  const request = await viaRequest(key, purpose);
  expect(request).toMatchObject({ status, code });
  expect(await viaSchemaRoute(key, purpose)).toEqual(request);
  expect(await viaCheck(key, purpose)).toEqual({ code, listed: `${code}: ${request.message}` });
});

it('a directive and a purpose that disagree: PURPOSE_CONFLICT from the request and from the check (each names where the other purpose came from)', async () => {
  const document = 'query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }';
  const r = await gw.gql(KEYS.mall, document, { purpose: 'service.after-sales' });
  expect(r.status).toBe(400);
  expect(r.body.errors[0]).toMatchObject({ message: 'The operation declares purpose "service.fulfilment" but the header says "service.after-sales"', extensions: { code: 'PURPOSE_CONFLICT' } });
  const c = await gw.gql(KEYS.mall, CHECK, { variables: { document, purpose: 'service.after-sales' } });
  expect(c.body.data.checkOperation).toEqual({
    errors: ['PURPOSE_CONFLICT: the operation declares purpose "service.fulfilment" but the check asks for "service.after-sales"'],
    operations: [{ rejection: 'PURPOSE_CONFLICT' }],
  });
});

it('a legal purpose without a case reference: refused by the request, a warning for the check, accepted by the schema route (no case reference needed to read a schema)', async () => {
  const r = await gw.gql(KEYS.legal, PHONE, { purpose: 'legal.public-safety' });
  expect(r.status).toBe(400);
  expect(r.body.errors[0].extensions.code).toBe('CASE_REF_REQUIRED');
  const c = await gw.gql(KEYS.legal, `query Check($document: String!, $purpose: String) { checkOperation(document: $document, purpose: $purpose) { errors warnings } }`, { variables: { document: PHONE, purpose: 'legal.public-safety' } });
  expect(c.body.data.checkOperation).toEqual({ errors: [], warnings: [expect.stringMatching(/^CASE_REF_REQUIRED: /)] });
  const s = await fetch(`${gw.url}/schema.graphql`, { headers: { authorization: `Bearer ${KEYS.legal}`, 'x-purpose': 'legal.public-safety' } });
  expect(s.status).toBe(200);
});
