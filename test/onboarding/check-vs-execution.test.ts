import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/**
 * SPEC §10: the static answer of checkOperation agrees with what execution decides, field by
 * field, for every demo user (1–5), modulo the conditions the check lists: execution may
 * deny a field the check allows only for a reason among its `conditions`, and runs a
 * variable-dependent field only when one of its `includedIf` alternatives holds. A row out of the
 * purpose's relationship scope (SPEC §11) is refused whole, as one `*` record at its path: every
 * field the check lists below it must carry OUT_OF_SCOPE among its conditions, or be denied anyway.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

interface StaticField { path: string; category: string; decision: string; mask: string | null; conditions: string[]; includedIf: string[]; when: string | null }
interface Explained { path: (string | number)[]; category: string; decision: string; mask: string | null; reason: string }

const CHECK = `query Check($document: String!) {
  checkOperation(document: $document) { valid purpose errors fields { path category decision mask conditions includedIf when } }
}`;

/** True when one alternative of `includedIf` holds for the variables (`$a && !$b`). */
function included(includedIf: string[], variables: Record<string, unknown>): boolean {
  if (includedIf.length === 0) return true;
  return includedIf.some((alternative) => alternative.split(' && ').every((atom) => (atom.startsWith('!') ? variables[atom.slice(2)] === false : variables[atom.slice(1)] === true)));
}

const pattern = (path: (string | number)[]) => path.map((s) => (typeof s === 'number' ? '*' : s)).join('.');

function valueAt(data: unknown, path: string[]): unknown {
  let at: unknown = data;
  for (const key of path) at = at == null ? undefined : (at as Record<string, unknown>)[key];
  return at;
}

/** `outOfScope`: the demo users whose row the case's purpose refuses to that client (SPEC §11 demo data). */
const CASES: { name: string; key: string; document: string; variables?: Record<string, unknown>[]; outOfScope?: number[] }[] = [
  {
    name: 'mall-app, service.fulfilment: aliases, named and nested fragments, inline fragment, lists, a bank-card row',
    key: KEYS.mall,
    document: `query Deliver($id: ID!) @purpose(name: "service.fulfilment") {
      subject: user(id: $id) { ...Contact devices { ... on Device { deviceId city } } }
      order(id: $id) { recipientPhone to: recipientName shippingAddress items { sku } paymentAccount { accountNo cardExpiry } user { ...Contact } }
    }
    fragment Contact on User { tel: phone realName ...More }
    fragment More on User { birthDate city nickname }`,
    // Tom's order (and so Tom) came through docs-app.
    outOfScope: [4],
  },
  {
    name: 'mall-app, service.after-sales: masks',
    key: KEYS.mall,
    document: `query AfterSales($id: ID!) @purpose(name: "service.after-sales") { user(id: $id) { phone realName orders(first: 3) { edges { node { recipientName recipientPhone shippingAddress totalAmount } } } } }`,
    outOfScope: [4],
  },
  {
    name: 'mall-app, personalization: consent, guardian consent and erasure conditions',
    key: KEYS.mall,
    document: `query Recommend($id: ID!) @purpose(name: "personalization") { user(id: $id) { nickname gender signature birthDate city realName phone devices { model deviceId ipAddress location { lat lng accuracyM } wifiBssid city } } }`,
  },
  {
    name: 'pay-alipay, service.payment: one field with two categories by row',
    key: KEYS.alipay,
    document: `query Pay($id: ID!) @purpose(name: "service.payment") { user(id: $id) { realName phone paymentAccounts { provider accountNo holderName cardExpiry } devices { deviceId ipAddress } } }`,
    // Only Alice holds an Alipay account.
    outOfScope: [2, 3, 4, 5],
  },
  {
    name: 'risk-engine, security.risk-control: variable @include/@skip',
    key: KEYS.risk,
    document: `query Risk($id: ID!, $withPhone: Boolean!, $lite: Boolean!) @purpose(name: "security.risk-control") {
      user(id: $id) { phone @include(if: $withPhone) birthDate ... @skip(if: $lite) { devices { deviceId location { lat } } paymentAccounts { accountNo cardExpiry } } }
    }`,
    variables: [{ withPhone: true, lite: false }, { withPhone: false, lite: true }],
  },
  {
    name: 'analytics-sdk, analytics: literal @skip/@include',
    key: KEYS.analytics,
    document: `query Stats($id: ID!) @purpose(name: "analytics") { user(id: $id) { username @skip(if: true) city @include(if: true) devices { model osVersion deviceId ipAddress city } } }`,
  },
  {
    name: 'docs-app, third-party-app',
    key: KEYS.docs,
    document: `query Profile($id: ID!) @purpose(name: "third-party-app") { user(id: $id) { id nickname avatarUrl realName phone city } }`,
    // Alice and Lily authorised docs-app.
    outOfScope: [2, 4, 5],
  },
];

const byCondition = new Set<string>();
afterAll(() => {
  // The cases exercise every subject condition, so "modulo conditions" was not vacuous.
  expect([...byCondition].sort()).toEqual(['CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING', 'OUT_OF_SCOPE', 'SUBJECT_ERASED']);
});

describe.each(CASES)('$name', ({ key, document, variables, outOfScope = [] }) => {
  let fields: StaticField[];
  beforeAll(async () => {
    const r = await gw.gql(key, CHECK, { variables: { document } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.checkOperation).toMatchObject({ valid: true, errors: [] });
    fields = r.body.data.checkOperation.fields;
    expect(fields.length).toBeGreaterThan(0);
  });

  it.each([1, 2, 3, 4, 5])('user %i: execution decides every field as the check says', async (id) => {
    for (const vars of variables ?? [{}]) {
      const r = await gw.gql(key, document, { variables: { id: String(id), ...vars }, headers: { 'x-explain': '1' } });
      expect(r.status).toBe(200);
      const explained: Explained[] = r.body.extensions.disclosure.fields;
      expect(explained.length).toBeGreaterThan(0);
      const refused = explained.some((e) => e.category === '*' && e.path.length === 1);
      expect({ id, refused }).toEqual({ id, refused: outOfScope.includes(id) });
      for (const e of explained) {
        const path = pattern(e.path);
        if (e.category === '*') {
          // A row refused by scope: the check must have said that its fields could be.
          expect({ path, decision: e.decision, reason: e.reason }).toEqual({ path, decision: 'DENY', reason: 'OUT_OF_SCOPE' });
          const below = fields.filter((f) => f.path.startsWith(`${path}.`) && f.decision !== 'DENY');
          expect(below.length).toBeGreaterThan(0);
          for (const f of below) expect({ path: f.path, scoped: f.conditions[0] }).toEqual({ path: f.path, scoped: 'OUT_OF_SCOPE' });
          byCondition.add(e.reason);
          continue;
        }
        const matches = fields.filter((f) => f.path === path && f.category === e.category);
        expect({ path, category: e.category, matches: matches.length }).toEqual({ path, category: e.category, matches: 1 });
        const s = matches[0];
        expect({ path, executed: included(s.includedIf, vars) }).toEqual({ path, executed: true });
        if (e.decision === s.decision) {
          expect({ path, mask: e.mask }).toEqual({ path, mask: s.mask });
        } else {
          // Only a subject fact the check listed may deny what the policy gives.
          expect({ path, decision: e.decision, reason: s.conditions.includes(e.reason) }).toEqual({ path, decision: 'DENY', reason: true });
          byCondition.add(e.reason);
        }
      }
      // Conversely, every field outside a list whose parent object is in the response was decided.
      const decided = new Set(explained.map((e) => pattern(e.path)));
      for (const s of fields.filter((f) => !f.path.includes('*') && included(f.includedIf, vars))) {
        const parent = s.path.split('.').slice(0, -1);
        if (valueAt(r.body.data, parent) == null) continue;
        expect({ path: s.path, decided: decided.has(s.path) }).toEqual({ path: s.path, decided: true });
      }
    }
  });
});

it('the check reads no data: a document on a user that does not exist is checked all the same', async () => {
  const r = await gw.gql(KEYS.mall, CHECK, { variables: { document: `query @purpose(name: "service.fulfilment") { user(id: 999) { phone } }` } });
  expect(r.body.data.checkOperation.fields).toEqual([expect.objectContaining({ path: 'user.phone', decision: 'ALLOW' })]);
});
