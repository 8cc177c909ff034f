import type { ApolloServerPlugin } from '@apollo/server';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';

/**
 * Queries and mutations only: the schema has no subscription root, and graphql-js would refuse
 * one during execution with an error that carries no code (read as INTERNAL). Refused before.
 */
export const operationKindPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, schema }) {
        if (operation && !schema.getRootType(operation.operation)) {
          throw gatewayError('BAD_REQUEST', `This API serves no ${operation.operation} operations`);
        }
      },
    };
  },
};
