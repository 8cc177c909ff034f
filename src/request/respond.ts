import type { ServerResponse } from 'node:http';
import { ERROR_STATUS, ErrorCode } from '../errors';

/** A GraphQL-over-HTTP error body for failures that happen before GraphQL runs (auth, size, method). */
export function sendError(res: ServerResponse, code: ErrorCode, message: string, headers: Record<string, string> = {}, extensions: Record<string, unknown> = {}): void {
  sendJson(res, ERROR_STATUS[code], { errors: [{ message, extensions: { code, ...extensions } }] }, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
