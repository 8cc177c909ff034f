import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §7: consent management under `account`, taking effect on the very next request. */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const account = (query: string, variables?: Record<string, unknown>) => gw.gql(KEYS.account, query, { purpose: 'account', variables });
const personalised = async (userId: number) => (await gw.gql(KEYS.mall, `{ user(id: ${userId}) { username } }`, { purpose: 'personalization' })).body;

it('lists a subject\'s consents, with guardian flag and state', async () => {
  const r = await account(`{ consents(userId: 4) { purpose clientId byGuardian active withdrawnAt } }`);
  expect(r.body.data.consents).toEqual([{ purpose: 'personalization', clientId: null, byGuardian: true, active: true, withdrawnAt: null }]);
});

it('withdrawal takes effect on the next request, and a re-grant restores it', async () => {
  expect((await personalised(1)).data.user.username).toBe('alice');
  const w = await account(`mutation { withdrawConsent(input: { userId: "1", purpose: "personalization" }) { active withdrawnAt } }`);
  expect(w.body.data.withdrawConsent.active).toBe(false);
  const after = await personalised(1);
  expect(after.data.user.username).toBeNull();
  expect(after.errors[0].extensions.reason).toBe('CONSENT_MISSING');
  const g = await account(`mutation { grantConsent(input: { userId: "1", purpose: "personalization", byGuardian: false }) { id active purpose clientId } }`);
  expect(g.body.data.grantConsent).toMatchObject({ active: true, purpose: 'personalization', clientId: null });
  expect((await personalised(1)).data.user.username).toBe('alice');
});

it('a consent to one client serves that client only', async () => {
  const g = await account(`mutation($u: ID!) { grantConsent(input: { userId: $u, purpose: "personalization", clientId: "analytics-sdk" }) { clientId } }`, { u: '2' });
  expect(g.body.data.grantConsent.clientId).toBe('analytics-sdk');
  expect((await personalised(2)).errors[0].extensions.reason).toBe('CONSENT_MISSING');
  await account(`mutation { grantConsent(input: { userId: "2", purpose: "personalization", clientId: "mall-app" }) { id } }`);
  expect((await personalised(2)).data.user.username).toBe('bob');
});

it('a guardian\'s consent lifts the minor condition for Lily', async () => {
  expect((await personalised(3)).errors[0].extensions.reason).toBe('GUARDIAN_CONSENT_MISSING');
  await account(`mutation { grantConsent(input: { userId: "3", purpose: "personalization", byGuardian: true }) { id } }`);
  expect((await personalised(3)).data.user.username).toBe('lily');
});

it.each([
  ['unknown user', `mutation { grantConsent(input: { userId: "999", purpose: "analytics" }) { id } }`],
  ['erased user', `mutation { grantConsent(input: { userId: "5", purpose: "analytics" }) { id } }`],
  ['a purpose that does not rest on consent', `mutation { grantConsent(input: { userId: "2", purpose: "service.fulfilment" }) { id } }`],
  ['an unknown client', `mutation { grantConsent(input: { userId: "2", purpose: "analytics", clientId: "nobody" }) { id } }`],
  ['nothing to withdraw', `mutation { withdrawConsent(input: { userId: "2", purpose: "marketing.push" }) { id } }`],
])('refuses %s with BAD_USER_INPUT', async (_n, q) => {
  const r = await account(q);
  expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(r.body.data).toBeNull();
});
