import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DocumentNode, execute, GraphQLError, GraphQLSchema, Kind, OperationDefinitionNode, parse, validate } from 'graphql';
import { createProjection } from '../src/audit';
import { bearerKey } from '../src/callers/keys';
import { declarePurpose } from '../src/callers/purpose';
import { ClientRegistry } from '../src/callers/registry';
import { now } from '../src/clock';
import type { Config } from '../src/config';
import { openStore } from '../src/db/data-source';
import { sensitiveFields } from '../src/enforcement/sensitive-fields';
import { gatewayContext, RequestState } from '../src/request/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { createLoaders } from '../src/loaders';
import { compilePolicy, defaultPolicyPath, loadPolicy, rowScope, scopeOf } from '../src/policy';
import { resolverServices } from '../src/services';
import { plainSchema } from './plain-schema';

/**
 * Variant C over HTTP, the lower bound: node's http server, the client's key checked, the
 * document parsed and validated once per text (as Apollo's document cache does), the rows of
 * the declared purpose's scope (as in-process C), plain graphql-js `execute` over
 * bench/plain-schema.ts, JSON.stringify. No Apollo, no enforcement, no audit, no hardening.
 */
export async function startPlainServer(config: Config): Promise<{ url: string; close(): Promise<void> }> {
  const ds = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  const registry = new ClientRegistry(ds, config.clientCacheMs);
  const audit = createProjection(ds); // the plain schema reads no audit; the context has a field for it
  const policy = compilePolicy(loadPolicy(config.policyFile ?? defaultPolicyPath()));
  const schema: GraphQLSchema = plainSchema();
  // What the gateway's own resolvers would reach (none of plain-schema's does).
  const base = buildGatewaySchema();
  const services = resolverServices(ds, { schema: base, fields: sensitiveFields(base), policy }, audit);
  const documents = new Map<string, { document: DocumentNode; operation: OperationDefinitionNode } | readonly GraphQLError[]>();
  const prepared = (query: string) => {
    let hit = documents.get(query);
    if (!hit) {
      const document = parse(query);
      const errors = validate(schema, document);
      hit = errors.length ? errors : { document, operation: document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)! };
      documents.set(query, hit);
    }
    return hit;
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      const key = bearerKey(req.headers.authorization);
      const caller = key ? await registry.authenticate(key) : null;
      if (!caller) return send(res, 401, { errors: [{ message: 'unauthenticated' }] });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
      const p = prepared(body.query);
      if (Array.isArray(p)) return send(res, 400, { errors: p });
      const { document, operation } = p as { document: DocumentNode; operation: OperationDefinitionNode };
      const variables = body.variables ?? {};
      const declared = declarePurpose(policy, caller, { headers: new Map(), operation, variables });
      const loaders = createLoaders(ds);
      loaders.useScope(rowScope(declared ? [scopeOf(policy, declared.purpose)] : ['all'], caller, declared?.caseRef ?? null));
      const ctx = gatewayContext({ request: new RequestState(randomUUID(), now(), new Map()), caller, loaders, ds, ...services });
      send(res, 200, await execute({ schema, document, contextValue: ctx, variableValues: variables }));
    })().catch((e: unknown) => send(res, 500, { errors: [{ message: (e as Error).message }] })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ds.destroy();
    },
  };
}
