import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** Error bodies are small; a larger one is not read further (its code is then taken from the status). */
const ERROR_BODY_LIMIT = 16_384;
const CODE = /^[A-Z][A-Z_]{1,40}$/;

/** The outcome code of a finished response: OK below 400, else the error code its body carries. */
export function outcomeCode(status: number, body: Buffer | null): string {
  if (status < 400) return 'OK';
  if (body) {
    try {
      const code = JSON.parse(body.toString('utf8'))?.errors?.[0]?.extensions?.code;
      if (typeof code === 'string' && CODE.test(code)) return code;
    } catch {
      // not JSON: fall through to the status
    }
  }
  return `HTTP_${status}`;
}

/**
 * Wrap a route so that every response it sends is counted by outcome code, including the
 * refusals sent before GraphQL runs (401, 413, 429…). Only error bodies are read, and only
 * their first few kilobytes, so that large successful responses cost nothing.
 */
export function countOutcomes(requests: Counter<'route' | 'code'>, route: string, handler: Route): Route {
  return async (req, res, url) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const capture = (chunk: unknown, encoding?: unknown) => {
      if (res.statusCode < 400 || size > ERROR_BODY_LIMIT || chunk == null || typeof chunk === 'function') return;
      const b = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
      size += b.length;
      chunks.push(b);
    };
    const write = res.write;
    const end = res.end;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
    res.once('close', () => {
      const code = res.writableFinished ? outcomeCode(res.statusCode, size <= ERROR_BODY_LIMIT && chunks.length ? Buffer.concat(chunks) : null) : 'CLIENT_CLOSED';
      requests.inc({ route, code });
    });
    await handler(req, res, url);
  };
}
