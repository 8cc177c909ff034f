import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayMetrics } from './registry';

/** GET /metrics: the Prometheus text exposition of this gateway's registry. */
export function metricsRoute(metrics: GatewayMetrics) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Use GET\n');
    }
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
