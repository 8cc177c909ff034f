import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Config } from '../config';
import type { GatewayContext } from '../request/context';
import type { Preflight } from '../request/preflight';
import { fieldSuggestionsPlugin } from './field-suggestions';
import { introspectionPlugin } from './introspection';
import { operationKindPlugin } from './operation-kind';
import { queryLimitsPlugin } from './query-limits';
import { rateLimit } from './rate-limit';
import { tokenLimit } from './token-limit';

export interface Hardening {
  /** Apollo plugins; list them before the purpose plugin, so that a limit is the first refusal. */
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** Preflight: the first check after authentication. */
  rateLimit: Preflight;
  /** Preflight: the last check before Apollo parses the document. */
  tokenLimit: Preflight;
}

/** What makes the gateway safe to expose: query limits, introspection, suggestions, no landing page, rate limit. */
export function hardening(config: Pick<Config, 'limits' | 'rateLimitPerSecond' | 'rateLimitBurstSeconds' | 'introspection'>): Hardening {
  return {
    plugins: [
      operationKindPlugin,
      introspectionPlugin(config.introspection),
      queryLimitsPlugin(config.limits),
      fieldSuggestionsPlugin,
      // Apollo's landing page would load a sandbox from Apollo's CDN for any browser that asks for HTML.
      ApolloServerPluginLandingPageDisabled() as ApolloServerPlugin<GatewayContext>,
    ],
    rateLimit: rateLimit(config.rateLimitPerSecond, config.rateLimitBurstSeconds),
    tokenLimit: tokenLimit(config.limits.tokens),
  };
}
