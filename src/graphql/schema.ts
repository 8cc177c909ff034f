import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLSchema, specifiedDirectives } from 'graphql';
import { buildSchemaSync, getMetadataStorage, NonEmptyArray } from 'type-graphql';
import { purposeDirective } from '../callers/purpose';
import { sensitiveDirective } from './directives';
import { AuditResolver } from './resolvers/AuditResolver';
import { ConsentResolver } from './resolvers/ConsentResolver';
import { ConsoleResolver, RecipientResolver } from './resolvers/ConsoleResolver';
import { DeviceResolver } from './resolvers/DeviceResolver';
import { ErasureResolver } from './resolvers/ErasureResolver';
import { OnboardingCheckResolver } from './resolvers/OnboardingCheckResolver';
import { OnboardingNoticeResolver } from './resolvers/OnboardingNoticeResolver';
import { OrderResolver } from './resolvers/OrderResolver';
import { QueryResolver } from './resolvers/QueryResolver';
import { RelationshipResolver } from './resolvers/RelationshipResolver';
import { SubjectRequestResolver } from './resolvers/SubjectRequestResolver';
import { UserResolver } from './resolvers/UserResolver';

/** Resolver classes of the API; other stages (consent, audit, onboarding) add theirs here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const RESOLVERS: NonEmptyArray<Function> = [QueryResolver, UserResolver, OrderResolver, DeviceResolver, ConsentResolver, AuditResolver, RecipientResolver, ErasureResolver, OnboardingCheckResolver, OnboardingNoticeResolver, ConsoleResolver, RelationshipResolver, SubjectRequestResolver];

let built: GraphQLSchema | null = null;

/**
 * Arguments in the order the resolver method declares them. TypeScript applies parameter
 * decorators last to first, so type-graphql collects `@Arg`s in reverse and, unlike directives and
 * extensions (which its MetadataStorage.build reverses back), emits them so: `clientActivity(to,
 * from, clientId)` for a method declared `(clientId, from, to)`. A stable sort on the parameter
 * index restores declaration order within each method; calls are unaffected (type-graphql passes
 * parameters by index).
 */
function argumentsInDeclarationOrder(): void {
  getMetadataStorage().params.sort((a, b) => a.index - b.index);
}

/** The code-first schema, built once per process (type-graphql's metadata is global). */
export function buildGatewaySchema(): GraphQLSchema {
  if (!built) argumentsInDeclarationOrder();
  built ??= buildSchemaSync({
    resolvers: RESOLVERS,
    directives: [...specifiedDirectives, sensitiveDirective, purposeDirective],
    validate: false,
  });
  return built;
}

/** The SDL with its directives, as written to schema/schema.graphql. */
export function printGatewaySchema(schema: GraphQLSchema = buildGatewaySchema()): string {
  return '# Generated from the code-first schema by `npm run schema:emit`; do not edit.\n\n' + printSchemaWithDirectives(schema) + '\n';
}
