/** Partner onboarding and policy governance (SPEC §10): operation checks, trusted documents, per-client schema, policy diff, erasure notices. */
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { ClientRegistry } from '../callers/registry';
import type { SensitiveField } from '../enforcement/sensitive-fields';
import type { Preflight } from '../request/preflight';
import type { Route } from '../http/server';
import type { CompiledPolicy } from '../policy';
import type { CheckContext } from './check-operation';
import { schemaRoute } from './schema-route';
import { TrustedDocuments } from './trusted-documents';
import { trustedDocumentsPreflight } from './trusted-documents-preflight';

export { checkOperation, neverReceived } from './check-operation';
export type { CheckContext, CheckRequest, FieldCheck, OperationCheck } from './check-operation';
export { documentHash, TrustedDocuments } from './trusted-documents';

export interface OnboardingDeps {
  ds: DataSource;
  registry: ClientRegistry;
  policy: CompiledPolicy;
  /** The gateway's schema with its @sensitive directives (before or after enforcement: the same types). */
  schema: GraphQLSchema;
  fields: ReadonlyMap<string, SensitiveField>;
  /** How long a trusted document lookup is cached (the client registry's cache time). */
  cacheMs: number;
}

export interface Onboarding {
  readonly check: CheckContext;
  readonly documents: TrustedDocuments;
  /** Refuses untrusted documents of trusted-documents-only clients; resolves document ids. */
  readonly trustedDocuments: Preflight;
  /** `GET /schema.graphql`. */
  readonly schemaRoute: Route;
}

/** Builds the onboarding services of one gateway (src/app.ts hands each to the places that use it). */
export function installOnboarding(deps: OnboardingDeps): Onboarding {
  const documents = new TrustedDocuments(deps.ds, deps.cacheMs);
  return {
    check: { schema: deps.schema, fields: deps.fields, policy: deps.policy },
    documents,
    trustedDocuments: trustedDocumentsPreflight(documents),
    schemaRoute: schemaRoute(deps),
  };
}
