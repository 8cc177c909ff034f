import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { bearerKey } from '../callers/keys';
import { judgeDeclaration } from '../callers/purpose';
import type { ClientRegistry } from '../callers/registry';
import type { SensitiveField } from '../enforcement/sensitive-fields';
import { sendError } from '../request/respond';
import type { Route } from '../http/server';
import type { CompiledPolicy } from '../policy';
import { ClientSchemaCache, clientSchemaSdl } from './client-schema';

export interface SchemaRouteDeps {
  registry: ClientRegistry;
  policy: CompiledPolicy;
  /** The gateway's schema, with its @sensitive directives. */
  schema: GraphQLSchema;
  fields: ReadonlyMap<string, SensitiveField>;
}

/**
 * `GET /schema.graphql` (SPEC §10): with a client key and `X-Purpose`, the SDL annotated for
 * that client and purpose. The purpose is judged by callers/purpose.ts and refused as a GraphQL request
 * would refuse it (PURPOSE_REQUIRED, PURPOSE_UNKNOWN, PURPOSE_NOT_PERMITTED); no case reference is needed to read a schema.
 * Each row-scoped type says whose rows the purpose returns at all, for this client (SPEC §11).
 */
export function schemaRoute({ registry, policy, schema, fields }: SchemaRouteDeps): Route {
  const cache = new ClientSchemaCache();
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', 'Use GET', { allow: 'GET, HEAD' });
    const key = bearerKey(req.headers.authorization);
    const caller = key ? await registry.authenticate(key) : null;
    if (!caller) return sendError(res, 'UNAUTHENTICATED', key ? 'Unknown or revoked client key' : 'Send "Authorization: Bearer <client key>"', { 'www-authenticate': 'Bearer' });
    const judged = judgeDeclaration(policy, caller, { headers: req.headers }, 'schema');
    if (!judged.ok) return sendError(res, judged.code, judged.message);
    if (judged.declared === null) return sendError(res, 'PURPOSE_REQUIRED', 'Send X-Purpose: the purpose to annotate the schema for');
    const { purpose } = judged.declared;
    const sdl = cache.get(caller, purpose, policy.version, () => clientSchemaSdl(schema, fields, policy, caller, purpose));
    const etag = `"${createHash('sha256').update(sdl).digest('base64url').slice(0, 27)}"`;
    const headers = { etag, 'cache-control': 'private, no-cache', vary: 'Authorization, X-Purpose' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(sdl) });
    res.end(req.method === 'HEAD' ? undefined : sdl);
  };
}
