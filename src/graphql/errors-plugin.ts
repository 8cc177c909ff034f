import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ERROR_STATUS } from '../errors';
import { log } from '../log';
import type { GatewayContext } from '../request/context';

/** Apollo's own codes that describe the client's request, kept as they are. */
const CLIENT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/** Extensions that may reach a client; anything else (stack traces, SQL, driver details) is dropped. */
const SAFE_EXTENSIONS = new Set(['code', 'reason', 'purpose', 'category', 'limit', 'argument', 'retryAfter', 'requestId', 'scope']);

/**
 * Every error leaves through here: our codes and GraphQL's request errors are kept; anything
 * unexpected becomes `INTERNAL` with no message, stack, SQL or value of its own.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? '');
  const ours = CLIENT_CODES.has(code) || (code in ERROR_STATUS && code !== 'INTERNAL');
  if (ours) {
    const extensions: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(formatted.extensions ?? {})) if (SAFE_EXTENSIONS.has(k)) extensions[k] = v;
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  const original = (error as { originalError?: unknown })?.originalError ?? error;
  log.error({ err: { name: (original as Error)?.name, code: (original as { code?: unknown })?.code }, path: formatted.path }, 'unexpected error');
  return { message: 'Internal error', path: formatted.path, extensions: { code: 'INTERNAL' } };
}

/** An operation that failed unexpectedly answers HTTP 500, so that no client mistakes it for a partial success. */
export const internalStatusPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const errors = response.body.singleResult.errors ?? [];
        if (errors.some((e) => e.extensions?.code === 'INTERNAL')) response.http.status = 500;
      },
    };
  },
};
