import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../request/context';

/** graphql-js's hints: `Did you mean "phone"?`, `Did you mean the enum value "ALIPAY"?`, with several names. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * No client but an internal one is offered "Did you mean …" in errors: a partner cannot map
 * the schema by misspelling. (GraphQL Armor's mask misses the enum-value form and applies to all.)
 */
export const fieldSuggestionsPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue: ctx, errors }) {
        if (ctx.caller?.kind === 'internal') return;
        for (const error of errors) if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
      },
    };
  },
};
