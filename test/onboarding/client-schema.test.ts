import { buildGatewaySchema } from '../../src/graphql/schema';
import { buildSchema } from 'graphql';
import { defaultPolicyPath, loadPolicy, policyFingerprint } from '../../src/policy';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §10 `GET /schema.graphql`: the SDL as one client sees it for one purpose. */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

async function schemaFor(key: string | null, purpose?: string, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (purpose) h['x-purpose'] = purpose;
  const res = await fetch(`${gw.url}/schema.graphql`, { headers: h });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The first line of `Type`'s body: its `# scope:` note, when it has one. */
function scopeLine(sdl: string, type: string): string {
  const at = sdl.indexOf(`\ntype ${type} {\n`);
  if (at < 0) throw new Error(`no type ${type}`);
  return sdl.slice(at).split('\n')[2].trim();
}

/** The annotation at the end of `Type.field`'s line. */
function annotation(sdl: string, type: string, field: string): string {
  const block = sdl.slice(sdl.indexOf(`\ntype ${type} {`));
  const line = block.split('\n').find((l) => l.trimStart().startsWith(`${field}:`) || l.trimStart().startsWith(`${field}(`));
  const at = line?.indexOf(' # ') ?? -1;
  return line && at >= 0 ? line.slice(at + 1) : '';
}

describe('pay-alipay for service.payment', () => {
  let sdl: string;
  beforeAll(async () => {
    const r = await schemaFor(KEYS.alipay, 'service.payment');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    sdl = r.text;
  });

  it('says who and what it is for', () => {
    // The version records are stamped with: the declared one and the content hash of the file the gateway runs.
    const hash = policyFingerprint(loadPolicy(defaultPolicyPath()));
    expect(hash).toMatch(/^[0-9a-f]{8}$/);
    expect(sdl.split('\n')[0]).toBe(`# PurposeGate schema for client "pay-alipay", purpose "service.payment" (basis contract), policy 2026-12-02.1+${hash}.`);
  });

  it.each([
    ['User', 'realName', '# MASK NAME'],
    ['User', 'phone', '# DENY PURPOSE_FORBIDS'],
    ['User', 'username', '# ALLOW'],
    ['PaymentAccount', 'accountNo', '# MASK ACCOUNT # BANK_CARD rows (financial.card): ALLOW'],
    ['PaymentAccount', 'cardExpiry', '# ALLOW'],
    ['Device', 'deviceId', '# MASK PSEUDONYM'],
    ['Device', 'ipAddress', '# MASK IP_PREFIX'],
    ['Order', 'shippingAddress', '# DENY PURPOSE_FORBIDS'],
    ['User', 'id', ''],
    ['User', 'orders', ''],
  ])('%s.%s → %s', (type, field, expected) => {
    expect(annotation(sdl, type, field)).toBe(expected);
  });

  it('is valid SDL of the gateway schema, @sensitive categories kept', () => {
    const schema = buildSchema(sdl);
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['user', 'users', 'order', 'device', 'checkOperation']));
    expect(sdl).toContain('phone: String @sensitive(category: "contact.phone") # DENY PURPOSE_FORBIDS');
  });
});

describe('relationship scope (SPEC §11): a `# scope:` line opens every row-scoped type', () => {
  const ROW_SCOPED = ['User', 'Order', 'PaymentAccount', 'Device'];
  it.each([
    ['pay-alipay', KEYS.alipay, 'service.payment', "# scope: provider (ALIPAY) — payment accounts of the client's registered providers, the orders paid with them, and their owners"],
    ['pay-wechat', KEYS.wechat, 'service.payment', "# scope: provider (WECHAT_PAY) — payment accounts of the client's registered providers, the orders paid with them, and their owners"],
    ['mall-app', KEYS.mall, 'service.fulfilment', '# scope: orders (channel mall-app) — orders placed through the client (order channel), and the users who placed them'],
    ['docs-app', KEYS.docs, 'third-party-app', '# scope: authorized (by users, for docs-app) — users who authorised the app and have not revoked it'],
    ['legal-desk', KEYS.legal, 'legal.criminal-investigation',
      '# scope: case — subjects named in the declared legal case, for that purpose, until it expires or is closed; every request needs a registered case reference (@purpose(caseRef:) or X-Case-Ref)'],
    ['risk-engine', KEYS.risk, 'security.risk-control', '# scope: all — every subject and row'],
    ['mall-app', KEYS.mall, 'personalization', '# scope: all — every subject and row'],
  ])('%s, %s', async (_client, key, purpose, expected) => {
    const { status, text } = await schemaFor(key, purpose);
    expect(status).toBe(200);
    for (const type of ROW_SCOPED) expect([type, scopeLine(text, type)]).toEqual([type, expected]);
    // Only those four types: an order's items and a user's consents are scoped with their order and user.
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('# scope:'))).toHaveLength(ROW_SCOPED.length);
    expect(scopeLine(text, 'OrderItem')).not.toMatch(/# scope/);
    const scoped = !expected.startsWith('# scope: all');
    expect(text.includes('(OUT_OF_SCOPE)')).toBe(scoped);
    expect(() => buildSchema(text)).not.toThrow();
  });

  it('the header names the scope and, when it is not all, what OUT_OF_SCOPE does', async () => {
    const { text } = await schemaFor(KEYS.alipay, 'service.payment');
    const header = text.slice(0, text.indexOf('\n\n'));
    expect(header).toContain('# Relationship scope of this purpose: provider.');
    expect(header).toContain("# A row out of scope is never returned, whatever its fields' annotations say (OUT_OF_SCOPE)");
  });

  it('follows the client\'s registered providers (they are part of the cache key)', async () => {
    const before = await schemaFor(KEYS.alipay, 'service.payment');
    await gw.gateway.registry.update('pay-alipay', { providers: ['ALIPAY', 'BANK_CARD'] });
    try {
      const after = await schemaFor(KEYS.alipay, 'service.payment', { 'if-none-match': before.headers.get('etag')! });
      expect(after.status).toBe(200);
      expect(scopeLine(after.text, 'PaymentAccount')).toMatch(/^# scope: provider \(ALIPAY, BANK_CARD\) — /);
    } finally {
      await gw.gateway.registry.update('pay-alipay', { providers: ['ALIPAY'] });
    }
    expect(scopeLine((await schemaFor(KEYS.alipay, 'service.payment')).text, 'PaymentAccount')).toMatch(/^# scope: provider \(ALIPAY\) — /);
  });
});

describe('mall-app for two purposes', () => {
  it('service.after-sales: masks, no consent needed', async () => {
    const { text } = await schemaFor(KEYS.mall, 'service.after-sales');
    expect(annotation(text, 'Order', 'recipientPhone')).toBe('# MASK PHONE');
    expect(annotation(text, 'Order', 'shippingAddress')).toBe('# MASK CITY');
    expect(annotation(text, 'User', 'city')).toBe('# ALLOW');
    expect(text.split('\n').filter((l) => l.includes('@sensitive') && l.includes('needs consent'))).toEqual([]);
  });

  it('personalization: consent-basis cells say so, denied ones do not', async () => {
    const { text } = await schemaFor(KEYS.mall, 'personalization');
    expect(text).toContain('purpose "personalization" (basis consent)');
    expect(annotation(text, 'User', 'city')).toBe('# ALLOW # needs consent');
    expect(annotation(text, 'User', 'birthDate')).toBe('# MASK YEAR # needs consent');
    expect(annotation(text, 'Device', 'location')).toBe('# MASK COARSE # needs consent');
    expect(annotation(text, 'User', 'phone')).toBe('# DENY PURPOSE_FORBIDS');
  });
});

it('a legal purpose notes the case reference it will need', async () => {
  const { status, text } = await schemaFor(KEYS.legal, 'legal.criminal-investigation');
  expect(status).toBe(200);
  expect(text).toContain('# Requests under this purpose need a case reference');
  expect(annotation(text, 'Device', 'location')).toBe('# ALLOW');
});

it('is cached per client, purpose and policy version, with an ETag', async () => {
  const first = await schemaFor(KEYS.alipay, 'service.payment');
  const again = await schemaFor(KEYS.alipay, 'service.payment', { 'if-none-match': first.headers.get('etag')! });
  expect(again.status).toBe(304);
  expect((await schemaFor(KEYS.risk, 'security.risk-control')).headers.get('etag')).not.toBe(first.headers.get('etag'));
});

it.each([
  ['no key', null, 'service.payment', 401, 'UNAUTHENTICATED'],
  ['an unknown key', 'nope', 'service.payment', 401, 'UNAUTHENTICATED'],
  ['no purpose', KEYS.alipay, undefined, 400, 'PURPOSE_REQUIRED'],
  ['an unknown purpose', KEYS.alipay, 'service.teleport', 400, 'PURPOSE_UNKNOWN'],
  ['a parent purpose', KEYS.alipay, 'service', 400, 'PURPOSE_UNKNOWN'],
  ['a purpose the client is not registered for', KEYS.alipay, 'service.fulfilment', 403, 'PURPOSE_NOT_PERMITTED'],
])('%s is refused as a request would be', async (_name, key, purpose, status, code) => {
  const r = await schemaFor(key, purpose);
  expect(r.status).toBe(status);
  expect(JSON.parse(r.text).errors[0].extensions.code).toBe(code);
});

describe("a reader's schema leaves out what only auditors may call", () => {
  const AUDITOR_FIELDS = ['auditEvents', 'disclosureReport', 'consoleSession', 'consoleClients', 'clientActivity', 'clientDecisionTotals', 'auditChainStatus', 'startChainVerification', 'chainVerification', 'subjectReview', 'createRecordsDownload', 'registerCase', 'closeCase', 'legalCases'];
  const field = (name: string) => new RegExp(`^  ${name}[(:]`, 'm');

  it('pay-alipay sees none of the auditor-only root fields, nor the types only they return', async () => {
    const r = await schemaFor(KEYS.alipay, 'service.payment');
    expect(r.status).toBe(200);
    for (const name of AUDITOR_FIELDS) expect(r.text).not.toMatch(field(name));
    for (const type of ['AuditEventConnection', 'ConsoleClient', 'LegalCase', 'ChainVerification']) expect(r.text).not.toContain(`type ${type} {`);
    // What a reader may call stays, shared fields included.
    for (const name of ['user', 'users', 'checkOperation', 'erasureNotices', 'correctionNotices', 'authorizeApp']) expect(r.text).toMatch(field(name));
  });

  it('the security console (an auditor under audit.review) sees them', async () => {
    const r = await schemaFor(KEYS.security, 'audit.review');
    expect(r.status).toBe(200);
    for (const name of AUDITOR_FIELDS) expect(r.text).toMatch(field(name));
  });

  it('the marked root fields are exactly the auditor-only API (a new one must be marked to be hidden)', () => {
    const schema = buildGatewaySchema();
    const marked = [...Object.values(schema.getQueryType()!.getFields()), ...Object.values(schema.getMutationType()!.getFields())]
      .filter((f) => f.extensions?.audience === 'auditor').map((f) => f.name).sort();
    expect(marked).toEqual([...AUDITOR_FIELDS].sort());
  });
});
