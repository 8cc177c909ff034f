import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';

/** The operation that runs, with the document's fragments: what the limit rules measure. */
export function operationDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  return { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
}

/**
 * Every field name the operation can select, through aliases, inline fragments and fragment
 * spreads (each fragment visited once), whatever `@include`/`@skip` say.
 */
export function selectedFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const names = new Set<string>();
  const seen = new Set<string>();
  const queue: SelectionSetNode[] = [operation.selectionSet];
  while (queue.length) {
    for (const s of queue.pop()!.selections) {
      if (s.kind === Kind.FIELD) {
        names.add(s.name.value);
        if (s.selectionSet) queue.push(s.selectionSet);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        queue.push(s.selectionSet);
      } else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) queue.push(f.selectionSet);
      }
    }
  }
  return names;
}
