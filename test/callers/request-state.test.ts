import { ApolloServer } from '@apollo/server';
import type { Disclosure } from '../../src/enforcement/disclosure';
import { GatewayContext, gatewayContext, RequestState } from '../../src/request/context';
import type { Loaders } from '../../src/loaders';

/**
 * The per-request state beside the declared purpose (src/request/context.ts): the disclosure is
 * declared once, on a RequestState that every copy of the context shares, so that what the
 * purpose plugin declares on Apollo's copy is what the resolvers and the HTTP handler see.
 */
const disclosureOf = (requestId: string) => ({ requestId, purpose: 'service.fulfilment' }) as unknown as Disclosure;
const at = new Date('2026-11-25T12:00:00Z');

it('a disclosure is declared once, and only for its own request', () => {
  const request = new RequestState('r-1', at, new Map());
  expect(request.disclosure).toBeNull();
  expect(() => request.declare(disclosureOf('r-2'))).toThrow('the disclosure is for request r-2');
  const d = disclosureOf('r-1');
  request.declare(d);
  expect(request.disclosure).toBe(d);
  expect(() => request.declare(disclosureOf('r-1'))).toThrow('already declared');
  expect(request.disclosure).toBe(d);
});

/** What a context needs besides its request; these tests read none of it. */
const parts = { caller: {} as GatewayContext['caller'], loaders: {} as Loaders, ds: {} as GatewayContext['ds'], operationCheck: {} as GatewayContext['operationCheck'], verifications: {} as GatewayContext['verifications'], audit: {} as GatewayContext['audit'] };

it("the request's id, time and headers are read from the request the context was built with, and only there", () => {
  const headers = new Map([['x-purpose', 'account']]);
  const request = new RequestState('r-1', at, headers);
  const ctx = gatewayContext({ request, ...parts });
  expect(ctx.request).toBe(request);
  expect([ctx.request.id, ctx.request.at, ctx.request.headers]).toEqual(['r-1', at, headers]);
  expect(Object.keys(ctx).filter((k) => /^request./.test(k))).toEqual([]);
});

it("what a plugin declares on Apollo's copy of the context, the resolvers and the context's creator see", async () => {
  const seen: (string | null)[] = [];
  const server = new ApolloServer<GatewayContext>({
    typeDefs: 'type Query { purpose: String }',
    resolvers: { Query: { purpose: (_p: unknown, _a: unknown, ctx: GatewayContext) => ctx.request.disclosure?.purpose ?? null } },
    plugins: [{
      async requestDidStart() {
        return {
          async didResolveOperation({ contextValue }) {
            seen.push(contextValue.request.disclosure?.purpose ?? null);
            contextValue.request.declare(disclosureOf(contextValue.request.id));
          },
        };
      },
    }],
  });
  await server.start();
  try {
    const ctx = gatewayContext({ request: new RequestState('r-1', at, new Map()), ...parts });
    const r = await server.executeOperation({ query: '{ purpose }' }, { contextValue: ctx });
    expect(r.body.kind === 'single' && r.body.singleResult.data).toEqual({ purpose: 'service.fulfilment' });
    expect(seen).toEqual([null]);
    expect(ctx.request.disclosure?.purpose).toBe('service.fulfilment');
  } finally {
    await server.stop();
  }
});
