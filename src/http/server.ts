import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { log } from '../log';
import { sendError, sendJson } from '../request/respond';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** A readiness probe: resolves when its dependency answers, throws otherwise. */
export type ReadinessCheck = { name: string; check: () => Promise<void> };

async function probe(checks: ReadinessCheck[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(checks.map(async (c) => {
    try {
      await Promise.race([c.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
      out[c.name] = 'ok';
    } catch {
      out[c.name] = 'unavailable';
    }
  }));
  return out;
}

/**
 * The HTTP surface: a table of exact paths. Unknown paths are 404; a handler that throws
 * becomes a bare INTERNAL error (no stack, SQL or value leaves the process).
 */
export function createHttpServer(routes: Record<string, Route>, readiness: ReadinessCheck[], requestTimeoutMs: number): Server {
  const table: Record<string, Route> = {
    '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const checks = await probe(readiness);
      const ok = Object.values(checks).every((s) => s === 'ok');
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks });
    },
    ...routes,
  };
  // Node checks request and header timeouts on this period (30 s by default): a fraction of the timeout keeps it honest.
  const connectionsCheckingInterval = Math.min(30_000, Math.max(250, Math.floor(requestTimeoutMs / 4)));
  const server = createServer({ connectionsCheckingInterval }, async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      return sendError(res, 'BAD_REQUEST', 'Malformed request URL');
    }
    const route = table[url.pathname];
    if (!route) return sendError(res, 'NOT_FOUND', `No route ${url.pathname}`);
    try {
      await route(req, res, url);
    } catch (e) {
      log.error({ err: { name: (e as Error)?.name, message: (e as Error)?.message }, path: url.pathname }, 'request failed');
      sendError(res, 'INTERNAL', 'Internal error');
    }
  });
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(requestTimeoutMs, 60_000);
  server.keepAliveTimeout = 5_000;
  return server;
}
