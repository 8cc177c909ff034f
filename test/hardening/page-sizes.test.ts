import { buildSchema, Kind, OperationDefinitionNode, parse, print } from 'graphql';
import { withEffectivePageSizes } from '../../src/hardening/page-sizes';

/** The page size each paginated field will really fetch, as the cost limit weighs it. */
const schema = buildSchema(`
  type Query { users(first: Int = 20, last: Int, after: String): Conn  plain(first: Int): Conn  other(n: Int): Conn }
  type Conn { total: Int  nested(first: Int = 5): Conn }
`);

function sized(query: string, variables: Record<string, unknown> = {}): string {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return print(withEffectivePageSizes(schema, doc, op, variables, 100)).replace(/\s+/g, ' ').trim();
}

it.each([
  ['a literal', '{ users(first: 7) { total } }', {}, 'users(first: 7)'],
  ['the argument default', '{ users { total } }', {}, 'users(first: 20)'],
  ['a variable', 'query Q($n: Int) { users(first: $n) { total } }', { n: 42 }, 'users(first: 42)'],
  ['a variable left out: its default', 'query Q($n: Int = 30) { users(first: $n) { total } }', {}, 'users(first: 30)'],
  ['a variable left out, no default: the argument\'s', 'query Q($n: Int) { users(first: $n) { total } }', {}, 'users(first: 20)'],
  ['a variable that is not an integer: the largest page', 'query Q($n: Int) { users(first: $n) { total } }', { n: 'lots' }, 'users(first: 100)'],
  ['last', '{ users(last: 9) { total } }', {}, 'users(first: 9)'],
  ['first and last: the larger', '{ users(first: 3, last: 9) { total } }', {}, 'users(first: 9)'],
  ['over the largest page: capped', '{ users(first: 1000000) { total } }', {}, 'users(first: 100)'],
  ['zero or less: one', '{ users(first: -5) { total } }', {}, 'users(first: 1)'],
  ['no default and none given: one', '{ plain { total } }', {}, 'plain(first: 1)'],
  ['other arguments kept', '{ users(after: "x", first: 2) { total } }', {}, 'users(first: 2, after: "x")'],
  ['in a fragment, nested', '{ users(first: 2) { ...F } } fragment F on Conn { nested { total } }', {}, 'nested(first: 5)'],
  ['a field without first is untouched', '{ other(n: 3) { total } }', {}, 'other(n: 3)'],
])('%s', (_name, query, variables, expected) => {
  expect(sized(query, variables)).toContain(expected);
});
