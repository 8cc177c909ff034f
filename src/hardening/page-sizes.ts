import { DocumentNode, GraphQLSchema, Kind, OperationDefinitionNode, TypeInfo, ValueNode, visit, visitWithTypeInfo } from 'graphql';
import type { ArgumentNode, FieldNode } from 'graphql';

/**
 * A copy of the document where every paginated field (one with a `first` or `last` argument)
 * carries one literal `first: n`: the page size it will really fetch, from a literal, a
 * variable's value, the variable's or the argument's default, capped at `maxPage` (beyond
 * it the field is refused at execution). GraphQL Armor's cost rule weights lists by a literal
 * `first` only; this closes `first: $n` and an omitted `first = 20`.
 */
export function withEffectivePageSizes(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, maxPage: number): DocumentNode {
  const variableDefaults = new Map<string, ValueNode | undefined>();
  for (const v of operation.variableDefinitions ?? []) variableDefaults.set(v.variable.name.value, v.defaultValue);

  const intOf = (value: ValueNode | undefined): number | null => {
    if (!value) return null;
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.NULL) return null;
    if (value.kind === Kind.VARIABLE) {
      const raw = variables[value.name.value];
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (raw === undefined || raw === null) return intOf(variableDefaults.get(value.name.value));
    }
    return maxPage; // anything else is refused at execution; weigh it as the largest page
  };

  const typeInfo = new TypeInfo(schema);
  return visit(document, visitWithTypeInfo(typeInfo, {
    Field(node: FieldNode): FieldNode | undefined {
      const def = typeInfo.getFieldDef();
      const firstArg = def?.args.find((a) => a.name === 'first');
      const lastArg = def?.args.find((a) => a.name === 'last');
      if (!firstArg && !lastArg) return undefined;
      const given = (name: string) => node.arguments?.find((a) => a.name.value === name)?.value;
      const sizes = [intOf(given('first')), intOf(given('last'))].filter((n): n is number => n !== null);
      if (!sizes.length && typeof firstArg?.defaultValue === 'number') sizes.push(firstArg.defaultValue);
      const n = Math.min(maxPage, Math.max(1, ...sizes));
      const first: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: { kind: Kind.INT, value: String(n) } };
      return { ...node, arguments: [first, ...(node.arguments ?? []).filter((a) => a.name.value !== 'first' && a.name.value !== 'last')] };
    },
  }));
}
