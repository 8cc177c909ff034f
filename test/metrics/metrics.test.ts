import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { parsePrometheusText, sampleValue } from './prometheus-text';

/**
 * GET /metrics (SPEC §9): Prometheus text that a scraper accepts, whose series move with
 * traffic, and that never carries a personal value, a key or a subject id.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

async function scrape() {
  const res = await fetch(`${gw.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parsePrometheusText(text) };
}

const ALICE_FOR_DELIVERY = `{ user(id: 1) { username realName phone birthDate orders(first: 1) { edges { node { shippingAddress } } } } }`;

describe('/metrics', () => {
  it('parses as Prometheus text with the series of SPEC §9, typed', async () => {
    const { families } = await scrape();
    expect(families.get('purposegate_requests_total')?.type).toBe('counter');
    expect(families.get('purposegate_field_decisions_total')?.type).toBe('counter');
    expect(families.get('purposegate_audit_commit_seconds')?.type).toBe('histogram');
    expect(families.get('purposegate_audit_queue_depth')?.type).toBe('gauge');
    expect(families.get('purposegate_audit_unprojected_records')?.type).toBe('gauge');
    expect(families.get('purposegate_db_pool_connections')?.type).toBe('gauge');
    expect(families.get('purposegate_db_pool_waiting')?.type).toBe('gauge');
    expect(families.get('process_cpu_user_seconds_total')).toBeDefined();
    const pool = families.get('purposegate_db_pool_connections')!.samples.map((s) => s.labels.state).sort();
    expect(pool).toEqual(['idle', 'in_use', 'max']);
    expect(sampleValue(families, 'purposegate_db_pool_connections', { state: 'max' })).toBeGreaterThanOrEqual(1);
  });

  it('counts requests by outcome code, field decisions by client, purpose and decision, and audit commits', async () => {
    const before = (await scrape()).families;

    const ok = await gw.gql(KEYS.mall, ALICE_FOR_DELIVERY, { purpose: 'service.fulfilment' });
    expect(ok.status).toBe(200);
    const { allowed, masked, denied } = ok.body.extensions.disclosure;
    expect(allowed).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0); // birthDate is not for delivery
    const unauthenticated = await gw.gql('no-such-key', ALICE_FOR_DELIVERY, { purpose: 'service.fulfilment' });
    expect(unauthenticated.status).toBe(401);
    const notPermitted = await gw.gql(KEYS.mall, ALICE_FOR_DELIVERY, { purpose: 'security.risk-control' });
    expect(notPermitted.body.errors[0].extensions.code).toBe('PURPOSE_NOT_PERMITTED');
    const forbidden = await gw.gql(KEYS.mall, '{ auditEvents { edges { cursor } } }', { purpose: 'service.fulfilment' });
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');

    const after = (await scrape()).families;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('purposegate_requests_total', { route: '/graphql', code: 'OK' })).toBe(1);
    expect(delta('purposegate_requests_total', { route: '/graphql', code: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta('purposegate_requests_total', { route: '/graphql', code: 'PURPOSE_NOT_PERMITTED' })).toBe(1);
    expect(delta('purposegate_requests_total', { route: '/graphql', code: 'FORBIDDEN' })).toBe(1);
    const labels = { client: 'mall-app', purpose: 'service.fulfilment' };
    expect(delta('purposegate_field_decisions_total', { ...labels, decision: 'ALLOW' })).toBe(allowed);
    expect(delta('purposegate_field_decisions_total', { ...labels, decision: 'MASK' })).toBe(masked);
    expect(delta('purposegate_field_decisions_total', { ...labels, decision: 'DENY' })).toBe(denied);
    // One commit per operation with a purpose (the FORBIDDEN one declared service.fulfilment too).
    expect(delta('purposegate_audit_commit_seconds_count', { outcome: 'committed' })).toBe(2);
    expect(delta('purposegate_audit_commit_seconds_bucket', { outcome: 'committed', le: '+Inf' })).toBe(2);
    expect(sampleValue(after, 'purposegate_audit_queue_depth')).toBe(0);
  });

  it('has no personal value, key or subject id anywhere, and only bounded labels', async () => {
    await gw.gql(KEYS.risk, `{ user(id: 1) { realName phone devices { deviceId ipAddress } } }`, { purpose: 'security.risk-control' });
    await gw.gql(KEYS.legal, `{ user(id: 2) { realName phone } }`, { headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'GA-2026-0117' } });
    const { text, families } = await scrape();
    for (const secret of [...Object.values(KEYS), 'Alice Wang', '13812345678', 'A1B2C3D4-E5F6', '203.0.113', 'Bob Li', 'GA-2026-0117']) {
      expect(text).not.toContain(secret);
    }
    const allowedLabels = new Set(['route', 'code', 'client', 'purpose', 'decision', 'outcome', 'le', 'state']);
    for (const f of families.values()) {
      if (!f.name.startsWith('purposegate_')) continue;
      for (const s of f.samples) for (const k of Object.keys(s.labels)) expect(allowedLabels).toContain(k);
    }
    const clients = new Set(families.get('purposegate_field_decisions_total')!.samples.map((s) => s.labels.client));
    expect([...clients].sort()).toEqual(['legal-desk', 'mall-app', 'risk-engine']);
  });

  it('counts refusals sent before GraphQL runs by their code, and only GET is served', async () => {
    const before = (await scrape()).families;
    const huge = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.mall}` }, body: JSON.stringify({ query: `{ __typename }`, pad: 'x'.repeat(200_000) }) });
    expect(huge.status).toBe(413);
    const after = (await scrape()).families;
    expect(sampleValue(after, 'purposegate_requests_total', { route: '/graphql', code: 'PAYLOAD_TOO_LARGE' }) - sampleValue(before, 'purposegate_requests_total', { route: '/graphql', code: 'PAYLOAD_TOO_LARGE' })).toBe(1);
    expect((await fetch(`${gw.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts GET /schema.graphql by outcome too: served, and refused keys (a key guessed there shows as on /graphql)', async () => {
    const count = (f: Awaited<ReturnType<typeof scrape>>['families'], code: string) => sampleValue(f, 'purposegate_requests_total', { route: '/schema.graphql', code });
    const before = (await scrape()).families;
    expect((await fetch(`${gw.url}/schema.graphql`, { headers: { authorization: `Bearer ${KEYS.mall}`, 'x-purpose': 'service.fulfilment' } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await fetch(`${gw.url}/schema.graphql`, { headers: { authorization: 'Bearer guessed-key', 'x-purpose': 'service.fulfilment' } })).status).toBe(401);
    const after = (await scrape()).families;
    expect(count(after, 'OK') - count(before, 'OK')).toBe(1);
    expect(count(after, 'UNAUTHENTICATED') - count(before, 'UNAUTHENTICATED')).toBe(2);
  });
});
