import { ApolloServer } from '@apollo/server';
import type { Disclosure } from '../../src/enforcement/disclosure';
import { DisclosureCommit, disclosurePlugin } from '../../src/enforcement/plugin';
import { GatewayContext, RequestState } from '../../src/request/context';

/**
 * The disclosure plugin's two ways of being fail-closed (the gateway's HTTP path is tested over
 * real HTTP in test/audit/http.test.ts): without a handler holding the response, the hook itself
 * waits for the commit and withholds the data if it fails; with one (`holdResponseFor`), it
 * hands the commit over and does not wait, and the outcome it hands over never rejects.
 */
const typeDefs = 'type Query { phone: String }';
const resolvers = { Query: { phone: () => '13800000001' } };

/** Just what the plugin touches of a Disclosure (the commit under test never reads its records). */
function fakeDisclosure(): Disclosure {
  return { requestId: 'r-1', close: () => undefined, denials: [], summary: () => ({ allowed: 1, masked: 0, denied: 0 }), explain: null } as unknown as Disclosure;
}

/** The request's state as the gateway's handler makes it, with the fake disclosure declared. */
function requestState(): RequestState {
  const request = new RequestState('r-1', new Date(), new Map());
  request.declare(fakeDisclosure());
  return request;
}

function deferred() {
  let settle!: { resolve(): void; reject(e: Error): void };
  const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  return { promise, ...settle };
}

async function run(commit: DisclosureCommit, extra: Partial<GatewayContext> = {}, request = requestState()) {
  const server = new ApolloServer<GatewayContext>({ typeDefs, resolvers, plugins: [disclosurePlugin(commit)] });
  await server.start();
  try {
    const contextValue = { request, ...extra } as unknown as GatewayContext;
    return await server.executeOperation({ query: '{ phone }' }, { contextValue });
  } finally {
    await server.stop();
  }
}

test('without a handler holding the response: the response waits for the commit', async () => {
  const commit = deferred();
  let committed = false;
  const response = run(() => commit.promise.then(() => void (committed = true)));
  let answered = false;
  void response.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 50));
  expect(answered).toBe(false);
  commit.resolve();
  const r = await response;
  expect(committed).toBe(true);
  expect(r.body.kind === 'single' && r.body.singleResult).toMatchObject({ data: { phone: '13800000001' }, extensions: { disclosure: { allowed: 1 } } });
});

test('without a handler holding the response: a failed commit leaves no data, only AUDIT_UNAVAILABLE with 503 and Retry-After', async () => {
  const r = await run(() => Promise.reject(new Error('disk full')));
  expect(r.http.status).toBe(503);
  expect(r.http.headers.get('retry-after')).toBe('5');
  expect(r.body.kind === 'single' && r.body.singleResult).toEqual({ data: null, errors: [{ message: expect.any(String), extensions: { code: 'AUDIT_UNAVAILABLE' } }] });
  expect(JSON.stringify(r.body)).not.toContain('13800000001');
});

test('with a handler holding the response: the commit is handed over at once, and its outcome never rejects', async () => {
  const commit = deferred();
  let held: Promise<boolean> | undefined;
  const r = await run(() => commit.promise, { holdResponseFor: (c) => void (held = c) });
  // The response is built while the commit is still under way; the handler decides what leaves.
  expect(held).toBeInstanceOf(Promise);
  expect(r.body.kind === 'single' && r.body.singleResult.data).toEqual({ phone: '13800000001' });
  commit.reject(new Error('connection lost'));
  await expect(held).resolves.toBe(false);
});

test('a request given up at its deadline (src/request/deadline.ts): no commit is started or handed over', async () => {
  let commits = 0;
  let held: Promise<boolean> | null = null;
  const request = requestState();
  request.operation = 'query';
  expect(request.abandon()).toBe(true);
  await run(async () => void commits++, { holdResponseFor: (c) => void (held = c) }, request);
  expect([commits, held]).toEqual([0, null]);
});
