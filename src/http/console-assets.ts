import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
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

/** One PNG chunk: length, type, data, CRC-32 over type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * The gateway's icon, drawn here rather than shipped as a binary: a 32×32 PNG (a white gate on a
 * blue rounded square) inside an ICO container, which every browser accepts at /favicon.ico.
 */
export function faviconIco(): Buffer {
  const size = 32;
  const radius = 6;
  const inside = (x: number, y: number) => {
    const cx = Math.min(Math.max(x + 0.5, radius), size - radius);
    const cy = Math.min(Math.max(y + 0.5, radius), size - radius);
    return (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius ** 2;
  };
  const gate = (x: number, y: number) => (y >= 8 && y <= 11 && x >= 6 && x <= 25) || (y >= 8 && y <= 24 && ((x >= 9 && x <= 12) || (x >= 19 && x <= 22)));
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0 (none), then RGBA
    for (let x = 0; x < size; x++) {
      const rgba = !inside(x, y) ? [0, 0, 0, 0] : gate(x, y) ? [255, 255, 255, 255] : [0x1d, 0x4e, 0x89, 255];
      row.set(rgba, 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  const dir = Buffer.alloc(6 + 16);
  dir.writeUInt16LE(0, 0); // reserved
  dir.writeUInt16LE(1, 2); // an icon
  dir.writeUInt16LE(1, 4); // one image
  dir.writeUInt8(size, 6);
  dir.writeUInt8(size, 7);
  dir.writeUInt16LE(1, 10); // colour planes
  dir.writeUInt16LE(32, 12); // bits per pixel
  dir.writeUInt32LE(png.length, 14);
  dir.writeUInt32LE(dir.length, 18); // the PNG follows the directory
  return Buffer.concat([dir, png]);
}

/** GET /favicon.ico: the icon browsers ask every page of the gateway for (the console's tab shows it). */
function faviconRoute(): Route {
  return serve({ body: faviconIco(), gzip: null, type: TYPES['.ico'], cache: 'public, max-age=604800' });
}

/**
 * GET /console: the review console's single page and its hashed assets, read once at start from
 * the build output (and GET /favicon.ico, built or not). The route table matches exact paths, so
 * each built file gets its own entry. The page's state is in its query string (/console?view=…), so one path serves every view.
 */
export function consoleRoutes(dir: string = defaultConsoleDir()): Record<string, Route> {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) {
    const missing: Route = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('The review console is not built: run `npm run build:console` (npm ci does it), then restart the gateway.\n');
    };
    return { '/console': missing, '/console/': missing, '/favicon.ico': faviconRoute() };
  }
  const page = serve(load(index, 'no-store'));
  const routes: Record<string, Route> = { '/console': page, '/console/': page, '/favicon.ico': faviconRoute() };
  const assets = path.join(dir, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      const file = path.join(assets, name);
      if (statSync(file).isFile()) routes[`/console/assets/${name}`] = serve(load(file, 'public, max-age=31536000, immutable'));
    }
  }
  return routes;
}
