/**
 * The console's only way out: GraphQL over HTTP to the gateway that served it, as the signed-in
 * auditor, declaring `audit.review`. The key lives in this module's closure for the life of the
 * tab: never in a URL, in storage or in a cookie, and it is dropped as soon as the gateway stops
 * accepting it.
 */

import { ConsoleSessionDocument, ConsoleSessionQuery, Operation } from './generated/api';

/** The signed-in auditor, the gateway's clock, and the policy's vocabulary for the filter forms. */
export type Session = ConsoleSessionQuery['consoleSession'];

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

/** Why the console went back to the sign-in screen. */
export type SignOutReason = 'signed-out' | 'key-rejected' | 'not-auditor';

let key: string | null = null;
const listeners = new Set<(reason: SignOutReason) => void>();

export function onSignedOut(listener: (reason: SignOutReason) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function signOut(reason: SignOutReason = 'signed-out'): void {
  if (key === null) return;
  key = null;
  for (const l of listeners) l(reason);
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post<T>(withKey: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: GraphQLBody<T> }> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${withKey}`, 'x-purpose': 'audit.review' },
    body: JSON.stringify({ query, variables }),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  let body: GraphQLBody<T>;
  try {
    body = (await res.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError('BAD_RESPONSE', `The gateway answered HTTP ${res.status} without a GraphQL body`, res.status);
  }
  return { status: res.status, body };
}

function firstError(status: number, body: GraphQLBody<unknown>): ApiError {
  const e = body.errors?.[0];
  return new ApiError(e?.extensions?.code ?? `HTTP_${status}`, e?.message ?? `HTTP ${status}`, status);
}

const NOT_AUDITOR = new Set(['PURPOSE_NOT_PERMITTED', 'FORBIDDEN']);

/** Try a key: an auditor's key starts a session; anything else is refused with the reason to show. */
export async function signIn(candidate: string): Promise<{ ok: true; session: Session } | { ok: false; message: string }> {
  const trimmed = candidate.trim();
  if (!trimmed) return { ok: false, message: 'Enter an auditor key.' };
  let answer: Awaited<ReturnType<typeof post<ConsoleSessionQuery>>>;
  try {
    answer = await post<ConsoleSessionQuery>(trimmed, ConsoleSessionDocument);
  } catch {
    return { ok: false, message: 'The gateway did not answer. Check that it is running and try again.' };
  }
  const { status, body } = answer;
  if (status === 401) return { ok: false, message: 'This key is unknown, expired or revoked.' };
  if (body.data?.consoleSession) {
    key = trimmed;
    return { ok: true, session: body.data.consoleSession };
  }
  const err = firstError(status, body);
  if (NOT_AUDITOR.has(err.code)) {
    return { ok: false, message: 'This key belongs to a client that is not an auditor. The console needs the key of a client with role "auditor" registered for the purpose audit.review.' };
  }
  if (err.code === 'RATE_LIMITED') return { ok: false, message: 'Too many attempts; wait a moment and try again.' };
  return { ok: false, message: `Sign-in failed (${err.code}).` };
}

/**
 * One GraphQL operation as the signed-in auditor: a document of generated/api.ts, whose types
 * say what the variables and the answer are. A rejected key ends the session.
 */
export async function gql<Result, Variables extends Record<string, unknown>>(query: Operation<Result, Variables>, variables?: Variables): Promise<Result> {
  if (key === null) throw new ApiError('SIGNED_OUT', 'Not signed in', 0);
  const { status, body } = await post<Result>(key, query, variables);
  if (status === 401) {
    signOut('key-rejected');
    throw new ApiError('UNAUTHENTICATED', 'The key is no longer accepted', 401);
  }
  if (body.errors?.length || !body.data) {
    const err = firstError(status, body);
    if (NOT_AUDITOR.has(err.code)) signOut('not-auditor');
    throw err;
  }
  return body.data;
}

/** A file the gateway answered as an attachment, read into memory (small: a subject's copy). */
export interface Attachment {
  blob: Blob;
  filename: string;
}

/** The attachment's file name from Content-Disposition, kept to a plain name (no path, no quotes). */
function attachmentName(header: string | null, fallback: string): string {
  const m = /filename="([^"]*)"/.exec(header ?? '');
  const name = (m?.[1] ?? '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return name || fallback;
}

/**
 * GET a console route that answers a file, as the signed-in auditor: the key goes in the
 * Authorization header (never in the URL), so the browser cannot simply follow a link; the file is
 * read here and handed back. A rejected key ends the session, as for GraphQL.
 */
export async function fetchAttachment(path: string, fallbackName: string): Promise<Attachment> {
  if (key === null) throw new ApiError('SIGNED_OUT', 'Not signed in', 0);
  let res: Response;
  try {
    res = await fetch(path, {
      headers: { authorization: `Bearer ${key}` },
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError('NETWORK', 'The gateway did not answer. Check that it is running and try again.', 0);
  }
  if (res.ok) return { blob: await res.blob(), filename: attachmentName(res.headers.get('content-disposition'), fallbackName) };
  let body: GraphQLBody<unknown> = {};
  try {
    body = (await res.json()) as GraphQLBody<unknown>;
  } catch {
    // not JSON: the status says it
  }
  const err = firstError(res.status, body);
  if (res.status === 401) signOut('key-rejected');
  else if (NOT_AUDITOR.has(err.code)) signOut('not-auditor');
  throw err;
}

/** Hand a file to the browser as a download (an object URL, released once the click is taken). */
export function saveAttachment({ blob, filename }: Attachment): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
