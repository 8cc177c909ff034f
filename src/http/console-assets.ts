import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '../policy';
import type { Route } from './server';

/**
 * The console's page may run only its own bundled script and style, and talk only to this
 * gateway: no inline script, no other origin, no framing, no form posting anywhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  cache: string;
}

/** Where `npm run build:console` writes the console (vite.config.mts in src/console). */
export function defaultConsoleDir(): string {
  return path.join(projectRoot(), 'dist', 'console');
}

function load(file: string, cache: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const gzip = /^(text|application\/json|image\/svg)/.test(type) && body.length > 1024 ? gzipSync(body) : null;
  return { body, gzip, type, cache };
}

function serve(asset: Asset) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Use GET\n');
    }
    const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? asset.gzip : null;
    const body = gzip ?? asset.body;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': asset.cache,
      'content-length': body.length,
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * GET /console: the review console's single page and its hashed assets, read once at start from
 * the build output. The route table matches exact paths, so each built file gets its own entry.
 * The page's state is in its query string (/console?view=…), so one path serves every view.
 */
export function consoleRoutes(dir: string = defaultConsoleDir()): Record<string, Route> {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) {
    const missing: Route = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('The review console is not built: run `npm run build:console` (npm ci does it), then restart the gateway.\n');
    };
    return { '/console': missing, '/console/': missing };
  }
  const page = serve(load(index, 'no-store'));
  const routes: Record<string, Route> = { '/console': page, '/console/': page };
  const assets = path.join(dir, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      const file = path.join(assets, name);
      if (statSync(file).isFile()) routes[`/console/assets/${name}`] = serve(load(file, 'public, max-age=31536000, immutable'));
    }
  }
  return routes;
}
