import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { DocumentNode, ExecutionResult, GraphQLSchema, printSchema } from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { GatewayContext } from '../src/request/context';
import type { CompiledPolicy } from '../src/policy';

/** Compiled queries kept per (schema, policy): a policy or schema change builds a new enforced schema, hence a new cache. */
export const JIT_CACHE_SIZE = Number(process.env.JIT_CACHE_SIZE ?? 500);

/**
 * Variant J: the enforced schema (the same `enforceSchema` transform, the same resolvers)
 * executed by graphql-jit instead of graphql-js. A document is compiled once per purpose and
 * kept in a bounded LRU (a Map in insertion order: a hit moves to the end, the oldest goes
 * first). The cache belongs to one enforced schema and one policy version, so that a policy or
 * schema change, which builds a new enforced schema, starts from an empty cache.
 */
export class CompiledDocuments {
  private readonly lru = new Map<string, CompiledQuery | ExecutionResult>();
  compilations = 0;

  constructor(readonly schema: GraphQLSchema, readonly policy: CompiledPolicy, private readonly capacity = JIT_CACHE_SIZE) {}

  /** The compiled document, or the ExecutionResult with the errors graphql-jit refused it with. */
  compiled(documentKey: string, document: DocumentNode, operationName: string | undefined, purpose: string): CompiledQuery | ExecutionResult {
    const key = `${this.policy.version}\u0000${purpose}\u0000${operationName ?? ''}\u0000${documentKey}`;
    let hit = this.lru.get(key);
    if (hit) {
      this.lru.delete(key);
      this.lru.set(key, hit);
      return hit;
    }
    hit = compileQuery(this.schema, document, operationName, { disablingCapturingStackErrors: true });
    this.compilations++;
    this.lru.set(key, hit);
    if (this.lru.size > this.capacity) this.lru.delete(this.lru.keys().next().value!);
    return hit;
  }

  /** Executes as graphql-js `execute` would, with the same context (its disclosure decides the purpose). */
  execute(documentKey: string, document: DocumentNode, operationName: string | undefined, ctx: GatewayContext, variables: Record<string, unknown> | undefined): Promise<ExecutionResult> | ExecutionResult {
    const compiled = this.compiled(documentKey, document, operationName, ctx.request.disclosure?.purpose ?? '');
    if (!isCompiledQuery(compiled)) return compiled;
    return compiled.query(undefined, ctx, variables ?? {});
  }
}

/**
 * J behind Apollo Server, through its documented executor hook: Apollo Server 4/5 removed the
 * `executor` option, and a `gateway` (GatewayInterface: it hands Apollo the API schema and an
 * executor) is how a custom execution is plugged in. Apollo still parses, validates (against
 * the same enforced schema), runs every plugin (purpose, disclosure/audit, hardening) and formats
 * the errors; only `execute` is replaced. `queryHash` (the SHA-256 of the document's text) keys
 * the compiled documents.
 */
export function jitGateway(schema: GraphQLSchema, policy: CompiledPolicy): GatewayInterface & { documents: CompiledDocuments } {
  const documents = new CompiledDocuments(schema, policy);
  return {
    documents,
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async load() {
      return {
        executor: async (rc) => documents.execute(rc.queryHash, rc.document, rc.operationName ?? undefined, rc.context as unknown as GatewayContext, rc.request.variables) as never,
      };
    },
    async stop() {},
  };
}
