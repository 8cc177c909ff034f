import { getDirectiveValues, GraphQLIncludeDirective, GraphQLSchema, GraphQLSkipDirective, Kind, OperationDefinitionNode, SelectionSetNode, DocumentNode, FragmentDefinitionNode } from 'graphql';
import { Extensions } from 'type-graphql';
import { forbidden } from './guards';

/** The `extensions` key that says who a root field is for. */
export const AUDIENCE = 'audience';

/** Who a root field is for: auditors (role `auditor` declaring `audit.review`), or the clients declaring one purpose (and, with `orAuditor`, auditors too). */
export type Audience = 'auditor' | { purpose: string; orAuditor?: boolean };

/**
 * Marks a root field as for auditors only (role `auditor` declaring `audit.review`): an operation
 * selecting it is refused whole before it runs for anyone else (refusedRootField), its resolver
 * refuses them too, and a reader's `GET /schema.graphql` leaves it out (with the types only it uses).
 */
export function AuditorOnly(): MethodDecorator {
  return Extensions({ [AUDIENCE]: 'auditor' satisfies Audience }) as MethodDecorator;
}

/**
 * Marks a root field as for the clients declaring `purpose` (consent and data-subject requests
 * under `account`): an operation selecting it is refused whole, before it runs, for any other.
 */
export function ForPurpose(purpose: string, options: { orAuditor?: boolean } = {}): MethodDecorator {
  return Extensions({ [AUDIENCE]: { purpose, ...options } satisfies Audience }) as MethodDecorator;
}

const isAuditor = (purpose: string | null, role: string) => role === 'auditor' && purpose === 'audit.review';

function admits(audience: Audience, purpose: string | null, role: string): boolean {
  if (audience === 'auditor') return isAuditor(purpose, role);
  return purpose === audience.purpose || (!!audience.orAuditor && isAuditor(purpose, role));
}

/**
 * SPEC §2: FORBIDDEN refuses the whole operation, with no `data`. So before anything runs (a
 * mutation before it, say an erasure, would already be done), every root field the operation
 * selects (through fragments, as @skip and @include leave them) is checked against its audience
 * for the declared purpose and the caller's role. The first one refused, as the error to throw;
 * null if the operation may run. Resolvers check again (requirePurpose).
 */
export function refusedRootField(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, purpose: string | null, role: string): Error | null {
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const fields = root.getFields();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  const walk = (set: SelectionSetNode): Error | null => {
    for (const s of set.selections) {
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) {
        const audience = fields[s.name.value]?.extensions?.[AUDIENCE] as Audience | undefined;
        if (audience && !admits(audience, purpose, role)) {
          return audience === 'auditor' ? forbidden('audit.review', 'auditor', `${root.name}.${s.name.value}`) : forbidden(audience.purpose, undefined, `${root.name}.${s.name.value}`);
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const refused = walk(s.selectionSet);
        if (refused) return refused;
      } else {
        const f = fragments.get(s.name.value);
        if (!f || seen.has(f.name.value)) continue;
        seen.add(f.name.value);
        const refused = walk(f.selectionSet);
        if (refused) return refused;
      }
    }
    return null;
  };
  return walk(operation.selectionSet);
}
