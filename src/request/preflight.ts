import type { IncomingMessage } from 'node:http';
import type { Caller } from '../callers/registry';
import type { ErrorCode } from '../errors';

/** A refusal decided before GraphQL runs (rate limit, untrusted document…): sent as a GraphQL error body. */
export class Rejection extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly headers: Record<string, string> = {}, readonly extensions: Record<string, unknown> = {}) {
    super(message);
  }
}

/** What a preflight check sees: the authenticated caller and the parsed request, before Apollo. */
export interface PreflightRequest {
  caller: Caller;
  method: 'GET' | 'POST';
  url: URL;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body for POST; a preflight may rewrite it (e.g. a trusted document id → its text). */
  body: unknown;
}

/** A check run in order after authentication and before execution; throws a Rejection to refuse. */
export type Preflight = (request: PreflightRequest) => void | Promise<void>;
