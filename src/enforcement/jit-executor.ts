import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { DocumentNode, execute, ExecutionResult, getOperationAST, GraphQLError, GraphQLSchema, printSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { DEFAULT_JIT_CACHE_SIZE } from '../config';
import type { GatewayContext } from '../request/context';
import { lruGet } from '../lru';
import type { CompiledPolicy } from '../policy';

type Compiled = CompiledQuery | ExecutionResult;

/**
 * The enforced schema (the same `enforceSchema` transform, the same resolvers) executed by
 * graphql-jit instead of graphql-js (GRAPHQL_EXECUTOR=jit). A document is compiled once per
 * operation name and purpose and kept in a bounded LRU (a Map in insertion order: a hit moves to
 * the end, the oldest goes first). The cache belongs to one enforced schema and one policy
 * version: a policy or schema change builds a new enforced schema, hence a new CompiledDocuments,
 * and the key carries the policy version as well, so no compiled query outlives what it was
 * compiled against.
 *
 * What graphql-jit does differently is brought back to graphql-js's behaviour here, so that a
 * client cannot tell the executors apart (test/enforcement/jit-executor.test.ts):
 * - variables: graphql-jit coerces them with its own messages and errors without `nodes`, which
 *   Apollo would not recognise as BAD_USER_INPUT (they would leave as INTERNAL). When graphql-jit
 *   refuses a request's variables, graphql-js coerces them again and its errors are the answer
 *   (the same messages, BAD_USER_INPUT, HTTP 400); should graphql-js accept what graphql-jit
 *   refused, graphql-js executes the request;
 * - errors: graphql-jit's lack `extensions` when the thrown error has none, and Apollo fails on
 *   them; each is made the GraphQLError graphql-js would have made (asGraphqlJsErrors).
 */
export class CompiledDocuments {
  private readonly lru = new Map<string, Compiled>();
  /** Documents compiled so far (a hit does not count). */
  compilations = 0;

  constructor(readonly schema: GraphQLSchema, readonly policy: CompiledPolicy, readonly capacity = DEFAULT_JIT_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`the compiled-query cache needs a positive size, got ${capacity}`);
  }

  get size(): number {
    return this.lru.size;
  }

  /** The cache key: the policy version, the purpose, the operation, the document (its hash). */
  keyFor(documentKey: string, operationName: string | undefined, purpose: string): string {
    return `${this.policy.version}\u0000${purpose}\u0000${operationName ?? ''}\u0000${documentKey}`;
  }

  has(documentKey: string, operationName: string | undefined, purpose: string): boolean {
    return this.lru.has(this.keyFor(documentKey, operationName, purpose));
  }

  /** The compiled document, or the ExecutionResult with the errors graphql-jit refused it with. */
  compiled(documentKey: string, document: DocumentNode, operationName: string | undefined, purpose: string): Compiled {
    return lruGet(this.lru, this.keyFor(documentKey, operationName, purpose), () => {
      this.compilations++;
      return compileQuery(this.schema, document, operationName, { disablingCapturingStackErrors: true });
    }, this.capacity);
  }

  /** Executes as graphql-js `execute` would, with the same context (its disclosure decides the purpose). */
  execute(documentKey: string, document: DocumentNode, operationName: string | undefined, ctx: GatewayContext, variables: Record<string, unknown> | undefined): Promise<ExecutionResult> | ExecutionResult {
    const compiled = this.compiled(documentKey, document, operationName, ctx.request.disclosure?.purpose ?? '');
    if (!isCompiledQuery(compiled)) return compiled;
    const result = compiled.query(undefined, ctx, variables ?? {});
    if (result instanceof Promise) return result.then(asGraphqlJsErrors);
    // graphql-jit answers a refusal of the variables at once, with errors and no data.
    if (result.errors?.length && !('data' in result)) return this.refusedVariables(document, operationName, ctx, variables);
    return asGraphqlJsErrors(result);
  }

  /** graphql-js's answer to variables graphql-jit refused: its own coercion errors, or, if it accepts them, its execution. */
  private refusedVariables(document: DocumentNode, operationName: string | undefined, ctx: GatewayContext, variables: Record<string, unknown> | undefined): Promise<ExecutionResult> | ExecutionResult {
    const operation = getOperationAST(document, operationName);
    const coerced = operation ? getVariableValues(this.schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 50 }) : undefined;
    if (coerced?.errors) return { errors: coerced.errors };
    return execute({ schema: this.schema, document, operationName, contextValue: ctx, variableValues: variables });
  }
}

/**
 * graphql-jit's errors are its own GraphQLError, whose `extensions` is undefined when the thrown
 * error had none (graphql-js's is always an object): Apollo reads `extensions.code` of each and,
 * failing on it, answers "Internal server error" (INTERNAL_SERVER_ERROR) without calling the
 * gateway's formatError. Each becomes the GraphQLError graphql-js would have made of it.
 */
function asGraphqlJsErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((e) => {
    const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions: e.extensions });
    (error as { locations?: GraphQLError['locations'] }).locations = e.locations;
    return error;
  });
  return { ...result, errors };
}

/**
 * The executor behind Apollo Server, through its documented hook: Apollo Server 4/5 removed the
 * `executor` option, and a `gateway` (GatewayInterface: it hands Apollo the API schema and an
 * executor) is how a custom execution is plugged in. Apollo still parses, validates (against the
 * same enforced schema), runs every plugin (purpose, disclosure/audit, hardening) and formats
 * the errors; only `execute` is replaced. `queryHash` (the SHA-256 of the document's text) keys
 * the compiled documents.
 */
export function jitGateway(schema: GraphQLSchema, policy: CompiledPolicy, cacheSize = DEFAULT_JIT_CACHE_SIZE): GatewayInterface & { documents: CompiledDocuments } {
  const documents = new CompiledDocuments(schema, policy, cacheSize);
  return {
    documents,
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async load() {
      return {
        // The operation name as the request gave it, as graphql-js `execute` receives it (rc.operationName is the resolved one, null when none resolved).
        executor: async (rc) => documents.execute(rc.queryHash, rc.document, rc.request.operationName ?? undefined, rc.context as unknown as GatewayContext, rc.request.variables) as never,
      };
    },
    async stop() {},
  };
}
