import { DocumentNode, FragmentDefinitionNode, GraphQLSchema, Kind, OperationDefinitionNode, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import type { SensitiveField } from './sensitive-fields';

const cache = new WeakMap<OperationDefinitionNode, boolean>();

/**
 * True when the operation (with the fragments it spreads, transitively) selects any
 * `@sensitive` field. Decided on the document alone, before execution, and cached per operation.
 */
export function selectsPersonalField(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, fields: Map<string, SensitiveField>): boolean {
  const hit = cache.get(operation);
  if (hit !== undefined) return hit;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const queue: (OperationDefinitionNode | FragmentDefinitionNode)[] = [operation];
  const seen = new Set<string>();
  let found = false;
  while (queue.length && !found) {
    const node = queue.pop()!;
    const typeInfo = new TypeInfo(schema);
    visit(node, visitWithTypeInfo(typeInfo, {
      Field(field) {
        const parent = typeInfo.getParentType();
        if (parent && fields.has(`${parent.name}.${field.name.value}`)) found = true;
      },
      FragmentSpread(spread) {
        const name = spread.name.value;
        const def = fragments.get(name);
        if (def && !seen.has(name)) {
          seen.add(name);
          queue.push(def);
        }
      },
    }));
  }
  cache.set(operation, found);
  return found;
}
