import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerKey } from '../callers/keys';
import type { GatewayMetrics } from './registry';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics: the Prometheus text exposition of this gateway's registry. With a token (METRICS_TOKEN),
 * only a request bearing it is answered (Prometheus: `authorization: { credentials: … }`); the
 * others get 401, whatever they sent. The comparison takes the same time whatever the guess.
 */
export function metricsRoute(metrics: GatewayMetrics, token?: string) {
  const expected = token === undefined ? null : digest(token);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Use GET\n');
    }
    if (expected) {
      const given = bearerKey(req.headers.authorization);
      if (given === null || !timingSafeEqual(digest(given), expected)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        return void res.end('Send "Authorization: Bearer <metrics token>"\n');
      }
    }
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
