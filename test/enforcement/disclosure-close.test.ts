import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { auditRows } from '../hardening/audit-rows';

/**
 * When an error nulls a parent, graphql-js lets the parent's pending child resolvers finish
 * after the response is built. Their decisions disclose nothing: they must reach neither the
 * counts of `extensions.disclosure` nor the audit.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0' }); });
afterAll(async () => { await gw?.close(); });

it('counts and audits exactly the decisions made before the response was built', async () => {
  const q = `{ users(first: 5) { edges { node { phone devices { deviceId } orders(first: 1000) { edges { node { id } } } } } } }`;
  const r = await gw.gql(KEYS.risk, q, { purpose: 'security.risk-control' });
  expect(r.body.data).toBeNull();
  expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the abandoned device loads finish
  const d = r.body.extensions.disclosure;
  const rows = await auditRows(gw.gateway.audit, gw.store.ds, d.requestId);
  expect(rows.length).toBe(d.allowed + d.masked + d.denied);
  expect(rows.every((x) => x.entity === 'User' && x.field === 'phone')).toBe(true);
  expect(JSON.stringify(r.body)).not.toContain('13812345678');
});
