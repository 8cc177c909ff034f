import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { GatewayCore, Serving, shippedServing } from '../src/app';
import type { GatewayContext } from '../src/request/context';
import { UNRESTRICTED } from '../src/policy/scope';
import { shieldSchema } from './shield-schema';

/** The gateway variants the HTTP phase runs in a process of their own (bench/serve.ts); C is bench/plain-server.ts. */
export type GatewayVariant = 'A' | 'E' | 'B' | 'S' | 'J';

/** Variant B: with enforcement off, every row is in scope (the shipped purpose plugin decides it otherwise). */
const everyRowInScope: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue }) {
        contextValue.loaders.useScope(UNRESTRICTED);
      },
    };
  },
};

/** Variant E: the response waits for no audit commit, and nothing is written. */
const commitNothing = () => Promise.resolve();

/**
 * How each variant serves GraphQL, assembled from the gateway's own blocks (src/app.ts: one
 * `openGateway` core, `serveGateway` with the same hardening, handler, routes and audit), so
 * that only what the variant names differs from the gateway as shipped:
 * - A as shipped (`shippedServing`);
 * - E enforced, with a commit that writes nothing;
 * - B the base schema (no enforcement) and every row in scope, no purpose or disclosure plugin;
 * - S the peer's schema (bench/shield-schema.ts) instead of the enforced one, with the shipped
 *   plugins; FIELD_DENIED errors (which shield reports inside execution, where the gateway
 *   appends its own after it) pass formatError as they are instead of becoming INTERNAL;
 * - J as shipped, started with GRAPHQL_EXECUTOR=jit (src/enforcement/jit-executor.ts), the
 *   others with graphql-js (bench/serve.ts).
 */
export function servingFor(variant: GatewayVariant, core: GatewayCore): Serving {
  switch (variant) {
    case 'A':
      return shippedServing(core);
    case 'E':
      return shippedServing(core, commitNothing);
    case 'B':
      return { schema: core.baseSchema, plugins: [everyRowInScope] };
    case 'S': {
      const shipped = shippedServing(core);
      return {
        ...shipped,
        schema: shieldSchema(core.baseSchema, { policy: core.policy, pseudonymSecret: core.config.pseudonymSecret }),
        apollo: (options) => {
          const formatError = options.formatError!;
          return {
            ...options,
            formatError: (formatted: GraphQLFormattedError, error: unknown) => {
              const x = formatted.extensions ?? {};
              if (x.code !== 'FIELD_DENIED') return formatError(formatted, error);
              return { message: formatted.message, path: formatted.path, extensions: { code: x.code, reason: x.reason, purpose: x.purpose, category: x.category } };
            },
          };
        },
      };
    }
    case 'J':
      return shippedServing(core); // bench/serve.ts starts it with GRAPHQL_EXECUTOR=jit
  }
}
