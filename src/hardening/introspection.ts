import type { ApolloServerPlugin } from '@apollo/server';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import { log } from '../log';
import { selectedFieldNames } from './operation';

/**
 * Introspection (`__schema`, `__type`, under any alias or fragment) only for `internal`
 * clients, unless configured for all: anyone else gets INTROSPECTION_DISABLED before execution.
 * `__typename` stays open: clients need it and it reveals nothing beyond the query itself.
 */
export function introspectionPlugin(allow: 'internal' | 'all'): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue: ctx, document, operation }) {
          if (!operation || allow === 'all' || ctx.caller.kind === 'internal') return;
          const names = selectedFieldNames(document, operation);
          if (!names.has('__schema') && !names.has('__type')) return;
          log.info({ requestId: ctx.request.id, client: ctx.caller.id }, 'introspection refused');
          throw gatewayError('INTROSPECTION_DISABLED', 'Introspection is available to internal clients only; GET /schema.graphql describes the API');
        },
      };
    },
  };
}
