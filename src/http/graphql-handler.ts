import { ApolloServer, HeaderMap } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit/adapter';
import type { RequestActivity } from '../audit/request-activity';
import { bearerKey } from '../callers/keys';
import type { ClientRegistry } from '../callers/registry';
import { now } from '../clock';
import { GatewayContext, gatewayContext, RequestState, ResolverServices } from '../request/context';
import { AUDIT_UNAVAILABLE } from '../enforcement/plugin';
import { createLoaders } from '../loaders';
import { log } from '../log';
import { BodyTooLarge, readBody } from './body';
import { Preflight, PreflightRequest, Rejection } from '../request/preflight';
import { withinDeadline } from '../request/deadline';
import { sendError, sendJson } from '../request/respond';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<GatewayContext>;
  registry: ClientRegistry;
  ds: DataSource;
  /** The gateway's services, handed to the resolvers through each request's context. */
  services: ResolverServices;
  bodyLimitBytes: number;
  /** A query still running this long after its checks passed is given up (EXECUTION_TIMEOUT, src/request/deadline.ts). */
  executionTimeoutMs: number;
  preflight?: Preflight[];
  /** Told of every request from its start until its response is over (background audit work yields to them). */
  activity?: RequestActivity;
}

function headerMap(req: IncomingMessage): HeaderMap {
  const map = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) map.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  return map;
}

/** POST/GET /graphql: authenticate, read the body within its limit, then hand over to Apollo. */
export function graphqlHandler(deps: GraphQLHandlerDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (deps.activity) res.once('close', deps.activity.begin());
    if (req.method !== 'GET' && req.method !== 'POST') {
      return sendError(res, 'METHOD_NOT_ALLOWED', 'Use POST, or GET for queries', { allow: 'GET, POST' });
    }
    const key = bearerKey(req.headers.authorization);
    if (!key) return sendError(res, 'UNAUTHENTICATED', 'Send "Authorization: Bearer <client key>"', { 'www-authenticate': 'Bearer' });
    const caller = await deps.registry.authenticate(key);
    if (!caller) return sendError(res, 'UNAUTHENTICATED', 'Unknown or revoked client key', { 'www-authenticate': 'Bearer' });

    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, deps.bodyLimitBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) return sendError(res, 'PAYLOAD_TOO_LARGE', `The request body is over ${deps.bodyLimitBytes} bytes`, { connection: 'close' });
        throw e;
      }
      const type = String(req.headers['content-type'] ?? '');
      if (!/^application\/(graphql-response\+)?json\b/i.test(type)) {
        return sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request as Content-Type: application/json');
      }
      try {
        body = JSON.parse(text);
      } catch {
        return sendError(res, 'BAD_REQUEST', 'The request body is not valid JSON');
      }
    }

    const pre: PreflightRequest = { caller, method: req.method, url, headers: req.headers, body };
    for (const check of deps.preflight ?? []) {
      try {
        await check(pre);
      } catch (e) {
        if (e instanceof Rejection) return sendError(res, e.code, e.message, e.headers, e.extensions);
        throw e;
      }
    }
    body = pre.body;

    const headers = new Map<string, string>();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new RequestState(randomUUID(), now(), headers);
    const requestId = request.id;
    request.expireAt(performance.now() + deps.executionTimeoutMs);

    // The audit commit of the response's records, once the disclosure plugin has started it:
    // the response is serialised meanwhile, and no byte of it is written before it is durable.
    let committed: Promise<boolean> | undefined;
    const context = gatewayContext({
      request,
      caller,
      loaders: createLoaders(deps.ds, () => request.expired()),
      ds: deps.ds,
      ...deps.services,
      holdResponseFor: (c) => {
        committed = c;
      },
    });

    const execution = deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers: headerMap(req), search: url.search, body },
      context: async () => context,
    });
    const result = await withinDeadline(execution, request);
    if (result === null || request.abandoned) {
      // Given up: the execution runs out in the background (its loaders read nothing more), unanswered and unaudited.
      execution.catch(() => undefined);
      log.warn({ requestId, client: caller.id, timeoutMs: deps.executionTimeoutMs }, 'execution deadline: query abandoned');
      return sendError(res, 'EXECUTION_TIMEOUT', `The operation did not finish within ${deps.executionTimeoutMs} ms; nothing of it was sent`, { 'x-request-id': requestId });
    }
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [k, v] of result.headers) outHeaders[k] = v;
    if (committed && !(await committed)) {
      // Fail-closed: none of the response, only AUDIT_UNAVAILABLE (its media type as negotiated).
      delete outHeaders['content-length'];
      sendJson(res, AUDIT_UNAVAILABLE.status, { errors: [AUDIT_UNAVAILABLE.error], data: null }, { ...outHeaders, ...AUDIT_UNAVAILABLE.headers });
      log.debug({ requestId, client: caller.id, status: AUDIT_UNAVAILABLE.status }, 'graphql request');
      return;
    }
    res.writeHead(result.status ?? 200, outHeaders);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
    log.debug({ requestId, client: caller.id, status: result.status ?? 200 }, 'graphql request');
  };
}
