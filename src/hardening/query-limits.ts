import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, print, validate } from 'graphql';
import type { QueryLimits } from '../config';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import { MAX_PAGE } from '../graphql/pagination';
import { log } from '../log';
import { operationDocument } from './operation';
import { withEffectivePageSizes } from './page-sizes';

export type LimitName = keyof QueryLimits;

export interface LimitExceeded {
  limit: LimitName;
  message: string;
}

/**
 * The first of depth, aliases, directives and cost that the operation exceeds, or null.
 * GraphQL Armor's rules count, on the operation with its real page sizes (see page-sizes.ts).
 * Tokens are counted before parsing (token-limit.ts), suggestions per caller (field-suggestions.ts).
 */
export function exceededLimit(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, limits: QueryLimits): LimitExceeded | null {
  const found: LimitExceeded[] = [];
  const protection = (limit: LimitName) => ({
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(_ctx: unknown, error: GraphQLError) => void found.push({ limit, message: error.message.replace(/^Syntax Error: /, '') })],
  });
  const { validationRules } = new ApolloArmor({
    maxDepth: { ...protection('depth'), n: limits.depth, flattenFragments: true }, // fragments add no level to the response
    maxAliases: { ...protection('aliases'), n: limits.aliases },
    maxDirectives: { ...protection('directives'), n: limits.directives },
    // Cost ≈ the fields a query can resolve: objects 2, scalars 1, each list times its page size.
    costLimit: { ...protection('cost'), maxCost: limits.cost, depthCostFactor: 1, flattenFragments: true },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const measured = withEffectivePageSizes(schema, operationDocument(document, operation), operation, variables, MAX_PAGE);
  validate(schema, measured, validationRules);
  const order: LimitName[] = ['depth', 'aliases', 'directives', 'cost'];
  return found.sort((a, b) => order.indexOf(a.limit) - order.indexOf(b.limit))[0] ?? null;
}

function intVariables(operation: OperationDefinitionNode, variables: Record<string, unknown>): string {
  const ints = (operation.variableDefinitions ?? []).filter((v) => /^\[*Int\b/.test(print(v.type)));
  return ints.length ? JSON.stringify(ints.map((v) => variables[v.variable.name.value] ?? null)) : '';
}

/**
 * Before execution: an operation over a depth, alias, directive or cost limit is refused whole
 * (HTTP 400 QUERY_LIMIT_EXCEEDED, `extensions.limit` naming which) and the refusal is logged.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<GatewayContext> {
  // Verdicts by operation, then by the values of its Int variables (the only source of a page size besides
  // literals). Apollo hands the same parsed document to every request with the same text: a hot query is measured once.
  const verdicts = new WeakMap<OperationDefinitionNode, Map<string, LimitExceeded | null>>();
  const measure = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>) => {
    let byVariables = verdicts.get(operation);
    if (!byVariables) verdicts.set(operation, (byVariables = new Map()));
    const key = intVariables(operation, variables);
    if (!byVariables.has(key)) {
      if (byVariables.size >= 32) byVariables.clear();
      byVariables.set(key, exceededLimit(schema, document, operation, variables, limits));
    }
    return byVariables.get(key)!;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue: ctx, document, operation, request, schema }) {
          if (!operation) return;
          const exceeded = measure(schema, document, operation, request.variables ?? {});
          if (!exceeded) return;
          log.warn({ requestId: ctx.request.id, client: ctx.caller.id, limit: exceeded.limit, max: limits[exceeded.limit] }, 'query limit exceeded');
          throw gatewayError('QUERY_LIMIT_EXCEEDED', exceeded.message, { limit: exceeded.limit });
        },
      };
    },
  };
}
