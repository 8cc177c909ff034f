import type { ApolloServerOptions } from '@apollo/server';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import path from 'node:path';
import type { GatewayContext } from '../src/graphql/context';
import type { CompiledPolicy } from '../src/policy';
import { shieldSchema } from './shield-schema';

/**
 * Benchmark only, for the HTTP phase's S gateway (J needs none: it is the shipped gateway with
 * GRAPHQL_EXECUTOR=jit): src/app.ts builds its ApolloServer with the enforced schema, and the
 * bench may not change src/. So, in the bench server's own process, before `startGateway` runs,
 * the ApolloServer class that app.ts instantiates is replaced by a subclass that changes exactly
 * one thing of the options it is given, everything else (plugins, HTTP handler, audit,
 * hardening) as shipped: the schema is the peer's (bench/shield-schema.ts) instead of the
 * enforced one, and FIELD_DENIED errors (which shield reports inside execution, where the
 * gateway appends its own after it) pass formatError as they are instead of becoming INTERNAL.
 * It relies on `@apollo/server`'s CommonJS index re-exporting `ApolloServer.js`'s export through a
 * getter (read at each `new`), which holds for @apollo/server 4 and 5.
 */
export function installApolloVariant(deps: { base: GraphQLSchema; policy: CompiledPolicy; pseudonymSecret: string }): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(path.dirname(require.resolve('@apollo/server')), 'ApolloServer.js')) as { ApolloServer: new (config: ApolloServerOptions<GatewayContext>) => unknown };
  const Original = mod.ApolloServer;
  class VariantApolloServer extends (Original as new (config: ApolloServerOptions<GatewayContext>) => object) {
    constructor(config: ApolloServerOptions<GatewayContext>) {
      const { schema: _enforced, ...rest } = config as ApolloServerOptions<GatewayContext> & { schema: GraphQLSchema };
      const formatError = rest.formatError!;
      super({
        ...rest,
        schema: shieldSchema(deps.base, { policy: deps.policy, pseudonymSecret: deps.pseudonymSecret }),
        formatError: (formatted: GraphQLFormattedError, error: unknown) => {
          const x = formatted.extensions ?? {};
          if (x.code !== 'FIELD_DENIED') return formatError(formatted, error);
          return { message: formatted.message, path: formatted.path, extensions: { code: x.code, reason: x.reason, purpose: x.purpose, category: x.category } };
        },
      } as ApolloServerOptions<GatewayContext>);
    }
  }
  mod.ApolloServer = VariantApolloServer as never;
}
