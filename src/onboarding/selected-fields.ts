import {
  DirectiveNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLCompositeType,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLSchema,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

/**
 * When a selection is executed: a disjunction of conjunctions of atoms. An atom is `$v`
 * (included when variable v is true), `!$v` (when it is false) or `<path> is T` (when the
 * object of an interface or union type at that path is a T). `[[]]` is "always"; `[]` is "never".
 */
export type Inclusion = readonly (readonly string[])[];

/** A field an operation selects, at the response path execution would produce. */
export interface SelectedField {
  /** Response keys joined by `.`; every list level is `*` where execution puts an index: `user.orders.edges.*.node.recipientPhone`. */
  readonly path: string;
  readonly typeName: string;
  readonly fieldName: string;
  /** Variable-dependent @include/@skip (and type conditions on abstract types) under which the field is executed; `[[]]` when always. */
  readonly inclusion: Inclusion;
}

export class ExpansionLimitExceeded extends Error {}

const ALWAYS: readonly string[] = Object.freeze([]);

/** The conjunction of two guards, or null when they contradict (`$v` and `!$v`). */
function both(a: readonly string[], b: readonly string[]): readonly string[] | null {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const atoms = new Set([...a, ...b]);
  for (const atom of atoms) if (atom.startsWith('!') && atoms.has(atom.slice(1))) return null;
  return [...atoms].sort();
}

/** Drops repeats and alternatives implied by a weaker one; "always" absorbs everything. */
function simplify(alternatives: readonly (readonly string[])[]): Inclusion {
  if (alternatives.length === 1) return alternatives;
  if (alternatives.some((g) => g.length === 0)) return [ALWAYS];
  const unique = [...new Map(alternatives.map((g) => [g.join(' && '), g])).values()].sort((x, y) => x.length - y.length);
  const kept: (readonly string[])[] = [];
  for (const g of unique) if (!kept.some((k) => k.every((atom) => g.includes(atom)))) kept.push(g);
  return kept;
}

/** The guard that @skip/@include add to one selection, or null when a literal argument excludes it. */
function directiveGuard(directives: readonly DirectiveNode[] | undefined): readonly string[] | null {
  let guard: readonly string[] | null = ALWAYS;
  for (const d of directives ?? []) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const value = d.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!value) continue;
    const includeWhen = name === 'include';
    let atom: string | null;
    if (value.kind === Kind.BOOLEAN) {
      if (value.value !== includeWhen) return null;
      atom = null;
    } else if (value.kind === Kind.VARIABLE) {
      atom = includeWhen ? `$${value.name.value}` : `!$${value.name.value}`;
    } else {
      continue; // validation has already refused any other literal
    }
    if (atom !== null) guard = guard && both(guard, [atom]);
    if (guard === null) return null;
  }
  return guard;
}

interface Occurrence {
  readonly node: FieldNode;
  readonly guard: readonly string[];
}

/** Walks a validated operation as graphql-js's collectFields would, without any data. */
class Collector {
  private work = 0;
  readonly out: SelectedField[] = [];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly keep: (typeName: string, fieldName: string) => boolean,
    private readonly maxWork: number,
  ) {}

  private applies(typeCondition: string | undefined, runtime: GraphQLObjectType): boolean {
    if (!typeCondition || typeCondition === runtime.name) return true;
    const condition = this.schema.getType(typeCondition);
    return !!condition && isAbstractType(condition) && this.schema.isSubType(condition, runtime);
  }

  /** Response key → the field nodes that execution would merge under it, each with its guard. */
  private collect(runtime: GraphQLObjectType, sets: readonly { set: SelectionSetNode; guard: readonly string[] }[]): Map<string, Occurrence[]> {
    const byKey = new Map<string, Occurrence[]>();
    const visit = (set: SelectionSetNode, base: readonly string[]): void => {
      for (const selection of set.selections) {
        if (++this.work > this.maxWork) throw new ExpansionLimitExceeded(`the document expands to more than ${this.maxWork} selections`);
        const own = directiveGuard(selection.directives);
        const guard = own && both(base, own);
        if (guard === null) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const list = byKey.get(key) ?? [];
          if (!list.some((o) => o.node === selection && o.guard.join() === guard.join())) list.push({ node: selection, guard });
          byKey.set(key, list);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition?.name.value, runtime)) visit(selection.selectionSet, guard);
        } else {
          // No dedupe by fragment name: a spread skipped at run time lets the next spread of the same fragment in, so the union is exact.
          const fragment = this.fragments.get(selection.name.value);
          if (fragment && this.applies(fragment.typeCondition.name.value, runtime)) visit(fragment.selectionSet, guard);
        }
      }
    };
    for (const { set, guard } of sets) visit(set, guard);
    return byKey;
  }

  /** Emits the kept fields under `runtime` and descends into composite children. */
  walk(runtime: GraphQLObjectType, sets: readonly { set: SelectionSetNode; guard: readonly string[] }[], prefix: string): void {
    for (const [key, occurrences] of this.collect(runtime, sets)) {
      const fieldName = occurrences[0].node.name.value;
      if (fieldName.startsWith('__')) continue; // __typename, and introspection, which carries no personal field
      const def = runtime.getFields()[fieldName];
      if (!def) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      // Guards are whole conjunctions from the root, so a path is executed when any of its occurrences is.
      const inclusion = simplify(occurrences.map((o) => o.guard));
      if (this.keep(runtime.name, fieldName)) this.out.push({ path, typeName: runtime.name, fieldName, inclusion });
      const named = getNamedType(def.type);
      if (!isCompositeType(named)) continue;
      const childPath = path + listLevels(def.type);
      const childSets = occurrences.filter((o) => o.node.selectionSet).map((o) => ({ set: o.node.selectionSet!, guard: o.guard }));
      this.descend(named, childSets, childPath);
    }
  }

  private descend(named: GraphQLCompositeType, sets: { set: SelectionSetNode; guard: readonly string[] }[], path: string): void {
    if (isObjectType(named)) return this.walk(named, sets, path);
    const possible = this.schema.getPossibleTypes(named);
    for (const runtime of possible) {
      const typed = possible.length > 1 ? sets.map((s) => ({ set: s.set, guard: both(s.guard, [`${path} is ${runtime.name}`])! })) : sets;
      this.walk(runtime, typed, path);
    }
  }
}

/** `.*` for every list level of a field type, where execution puts an index in the path. */
function listLevels(type: GraphQLOutputType): string {
  let suffix = '';
  for (let t: GraphQLOutputType = type; !isObjectType(t) && 'ofType' in t; t = t.ofType as GraphQLOutputType) {
    if (isListType(t)) suffix += '.*';
    else if (!isNonNullType(t)) break;
  }
  return suffix;
}

/**
 * The fields `keep` selects in a validated operation, with the paths and the variable
 * conditions of execution: aliases, named, inline and nested fragments, and @skip/@include
 * (literal arguments resolved, variable ones reported in `inclusion`).
 */
export function selectedFields(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  keep: (typeName: string, fieldName: string) => boolean,
  maxWork = 20_000,
): SelectedField[] {
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  const collector = new Collector(schema, fragments, keep, maxWork);
  collector.walk(root, [{ set: operation.selectionSet, guard: ALWAYS }], '');
  return collector.out;
}

/** An inclusion as text: `[]` when always, otherwise one string per alternative, e.g. `$withPhone && !$lite`. */
export function describeInclusion(inclusion: Inclusion): string[] {
  return inclusion.length === 1 && inclusion[0].length === 0 ? [] : inclusion.map((g) => g.join(' && '));
}
