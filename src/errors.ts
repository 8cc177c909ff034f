import { GraphQLError } from 'graphql';

/**
 * Every error code a client can see, with its HTTP status. Clients and acceptance tests
 * match on these codes (SPEC §2), so they are created here and nowhere else.
 */
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PURPOSE_REQUIRED: 400,
  PURPOSE_UNKNOWN: 400,
  PURPOSE_CONFLICT: 400,
  PURPOSE_NOT_PERMITTED: 403,
  CASE_REF_REQUIRED: 400,
  /** A legal purpose's case reference that is not registered, closed, expired or for another purpose (SPEC §11). */
  CASE_UNKNOWN: 403,
  /** A row asked for by id that is not in the caller's scope, or does not exist: one field is null, the rest is served (SPEC §11). */
  OUT_OF_SCOPE: 200,
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  QUERY_LIMIT_EXCEEDED: 400,
  INTROSPECTION_DISABLED: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  DOCUMENT_NOT_TRUSTED: 403,
  AUDIT_UNAVAILABLE: 503,
  /** A query still running at its deadline (EXECUTION_TIMEOUT_MS): nothing of it was sent, nothing of it audited. */
  EXECUTION_TIMEOUT: 504,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A client-facing error with a stable code and the HTTP status that goes with it. */
export function gatewayError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, ...extensions, http: { status: ERROR_STATUS[code] } },
  });
}

export function badInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return gatewayError('BAD_USER_INPUT', message, extensions);
}

/**
 * A request the domain refuses as asked (relationships, data-subject rights): nothing was written.
 * `code` is stable; `argument` names the input at fault. The API answers it as BAD_USER_INPUT with
 * the code as `extensions.reason` (`asBadInput`); the CLIs print it and exit non-zero.
 */
export class InputError<Code extends string = string> extends Error {
  constructor(readonly code: Code, message: string, readonly argument: string) {
    super(message);
  }
}

/** Runs `act`; an InputError becomes BAD_USER_INPUT naming the argument, with the stable reason. */
export async function asBadInput<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (e) {
    if (e instanceof InputError) throw badInput(e.message, { argument: e.argument, reason: e.code });
    throw e;
  }
}
