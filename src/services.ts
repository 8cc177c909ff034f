import type { DataSource } from 'typeorm';
import type { AuditReads } from './audit/adapter';
import type { ResolverServices } from './request/context';
import type { CheckContext } from './onboarding/check-operation';
import { ChainVerifications } from './review/verification';

/**
 * The services a gateway's resolvers reach through the request context (src/request/context.ts),
 * built once per gateway (src/app.ts) or per tool that executes GraphQL in process (the subject
 * copy's CLI, the benchmark), and handed to whoever builds a context.
 */
export function resolverServices(ds: DataSource, operationCheck: CheckContext, audit: AuditReads): ResolverServices {
  return { operationCheck, verifications: new ChainVerifications(ds), audit };
}
