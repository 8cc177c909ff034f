import {
  caseValidFor, compareScopes, decideScope, isScope, NO_ROWS, relationshipsOf, rowScope, SCOPES, UNRESTRICTED,
} from '../../src/policy';
import type { CaseFacts, Relationship, RelationshipFacts, Scope } from '../../src/policy';

/**
 * SPEC §11, the pure part: which rows a request's scope lets through, given the relationship
 * facts the store computed for a row. The expected tables are written out by hand (not derived
 * from SCOPE_RELATIONSHIP), so that a change of the mapping fails here.
 */
const CLIENT = { id: 'some-client', providers: ['ALIPAY'] };
const CASE = 'GA-2026-0117';
const RELATIONSHIPS: Relationship[] = ['channel', 'provider', 'authorization', 'case'];

/** A row that has exactly one relationship with the client (or none). */
const only = (r: Relationship | null): RelationshipFacts => Object.fromEntries(RELATIONSHIPS.map((x) => [x, x === r]));
const every: RelationshipFacts = Object.fromEntries(RELATIONSHIPS.map((x) => [x, true]));

describe('decideScope: one scope, one relationship fact', () => {
  // [scope, relationship fact of the row (null: none), in scope?]
  const TABLE: [Scope, Relationship | null, boolean][] = [
    ['all', null, true], ['all', 'channel', true], ['all', 'provider', true], ['all', 'authorization', true], ['all', 'case', true],
    ['orders', null, false], ['orders', 'channel', true], ['orders', 'provider', false], ['orders', 'authorization', false], ['orders', 'case', false],
    ['provider', null, false], ['provider', 'channel', false], ['provider', 'provider', true], ['provider', 'authorization', false], ['provider', 'case', false],
    ['authorized', null, false], ['authorized', 'channel', false], ['authorized', 'provider', false], ['authorized', 'authorization', true], ['authorized', 'case', false],
    ['case', null, false], ['case', 'channel', false], ['case', 'provider', false], ['case', 'authorization', false], ['case', 'case', true],
  ];

  it('covers every scope and every fact', () => {
    expect(new Set(TABLE.map(([s, r]) => `${s}/${r}`)).size).toBe(SCOPES.length * (RELATIONSHIPS.length + 1));
  });

  it.each(TABLE)('scope %s, row with fact %s: in scope = %s', (scope, fact, expected) => {
    const s = rowScope([scope], CLIENT, CASE);
    expect(decideScope(s, only(fact))).toBe(expected);
    // The same with the other facts absent rather than false: absent never helps, present decides.
    expect(decideScope(s, fact ? { [fact]: true } : {})).toBe(expected);
  });

  it.each(SCOPES.filter((s) => s !== 'all'))('scope %s: no facts at all, or every fact false, is out of scope (fail closed)', (scope) => {
    const s = rowScope([scope], CLIENT, CASE);
    expect(decideScope(s, {})).toBe(false);
    expect(decideScope(s, only(null))).toBe(false);
    expect(decideScope(s, every)).toBe(true);
  });

  it('a fact must be exactly true: truthy non-booleans do not count', () => {
    const s = rowScope(['provider'], CLIENT, null);
    expect(decideScope(s, { provider: 1 } as unknown as RelationshipFacts)).toBe(false);
    expect(decideScope(s, { provider: 'yes' } as unknown as RelationshipFacts)).toBe(false);
  });
});

describe('relationshipsOf: what the store must compute', () => {
  it.each<[Scope[], string | null, Relationship[]]>([
    [['all'], CASE, []],
    [['orders'], null, ['channel']],
    [['provider'], null, ['provider']],
    [['authorized'], null, ['authorization']],
    [['case'], CASE, ['case']],
    [['case'], null, []],
    [['case', 'authorized', 'provider', 'orders'], CASE, ['channel', 'provider', 'authorization', 'case']],
    [['case', 'authorized', 'provider', 'orders'], null, ['channel', 'provider', 'authorization']],
    [['orders', 'all'], CASE, []],
    [[], CASE, []],
  ])('scopes %j with case %s → %j', (scopes, caseRef, expected) => {
    expect(relationshipsOf(rowScope(scopes, CLIENT, caseRef))).toEqual(expected);
  });
});

describe('several scopes (a request without a purpose): the union', () => {
  const both = rowScope(['provider', 'orders', 'provider'], CLIENT, null);

  it('deduplicates, orders by SCOPES and labels them with |', () => {
    expect(both.scopes).toEqual(['orders', 'provider']);
    expect(both.label).toBe('orders|provider');
    expect(both.clientId).toBe('some-client');
    expect(both.providers).toEqual(['ALIPAY']);
    expect(both.caseRef).toBeNull();
  });

  it.each<[Relationship | null, boolean]>([['channel', true], ['provider', true], ['authorization', false], ['case', false], [null, false]])(
    'orders|provider, row with fact %s: %s', (fact, expected) => {
      expect(decideScope(both, only(fact))).toBe(expected);
    });

  it('authorized|case with a case: either relationship', () => {
    const s = rowScope(['case', 'authorized'], CLIENT, CASE);
    expect(s.label).toBe('authorized|case');
    expect(decideScope(s, only('authorization'))).toBe(true);
    expect(decideScope(s, only('case'))).toBe(true);
    expect(decideScope(s, only('channel'))).toBe(false);
  });

  it('no scope at all is label "none" and lets nothing through', () => {
    const none = rowScope([], CLIENT, CASE);
    expect(none.scopes).toEqual([]);
    expect(none.label).toBe('none');
    expect(decideScope(none, every)).toBe(false);
    expect(decideScope(NO_ROWS, every)).toBe(false);
  });
});

describe('`all` absorbs every other scope', () => {
  it.each<Scope[]>([['all'], ['orders', 'all'], ['case', 'provider', 'all', 'authorized'], ['all', 'all']])('%j → all', (...scopes) => {
    const s = rowScope(scopes, CLIENT, null);
    expect(s.scopes).toEqual(['all']);
    expect(s.label).toBe('all');
    expect(relationshipsOf(s)).toEqual([]);
    expect(decideScope(s, {})).toBe(true);
    expect(decideScope(s, only(null))).toBe(true);
  });

  it('UNRESTRICTED lets every row through', () => {
    expect(decideScope(UNRESTRICTED, {})).toBe(true);
  });
});

describe('case scope without a case reference', () => {
  it('puts nothing in scope, even a row the store marked as in a case', () => {
    const s = rowScope(['case'], CLIENT, null);
    expect(s.label).toBe('case');
    expect(decideScope(s, only('case'))).toBe(false);
    expect(decideScope(s, every)).toBe(false);
  });

  it('with a case reference, the case fact decides', () => {
    const s = rowScope(['case'], CLIENT, CASE);
    expect(s.caseRef).toBe(CASE);
    expect(decideScope(s, only('case'))).toBe(true);
  });

  it('beside another scope, only the other scope counts', () => {
    const s = rowScope(['authorized', 'case'], CLIENT, null);
    expect(decideScope(s, only('case'))).toBe(false);
    expect(decideScope(s, only('authorization'))).toBe(true);
  });
});

describe('rowScope freezes what it was given', () => {
  it('keeps its own copy of the providers', () => {
    const providers = ['ALIPAY'];
    const s = rowScope(['provider'], { id: 'c', providers }, null);
    providers.push('BANK_CARD');
    expect(s.providers).toEqual(['ALIPAY']);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.scopes)).toBe(true);
  });
});

describe('caseValidFor', () => {
  const EXPIRES = new Date('2027-12-31T23:59:59Z');
  const open: CaseFacts = { caseRef: CASE, purposes: ['legal.criminal-investigation'], expiresAt: EXPIRES, closedAt: null };
  const before = new Date(EXPIRES.getTime() - 1);

  it.each<[string, CaseFacts | null, string, Date, boolean]>([
    ['an open case for its purpose, before it expires', open, 'legal.criminal-investigation', new Date('2026-11-25T12:00:00Z'), true],
    ['one millisecond before it expires', open, 'legal.criminal-investigation', before, true],
    ['at the exact instant it expires', open, 'legal.criminal-investigation', EXPIRES, false],
    ['after it expired', open, 'legal.criminal-investigation', new Date('2028-01-01T00:00:00Z'), false],
    ['a closed case', { ...open, closedAt: new Date('2026-11-20T00:00:00Z') }, 'legal.criminal-investigation', new Date('2026-11-25T12:00:00Z'), false],
    ['a case closed in the future still counts as closed', { ...open, closedAt: new Date('2027-06-01T00:00:00Z') }, 'legal.criminal-investigation', new Date('2026-11-25T12:00:00Z'), false],
    ['another legal purpose', open, 'legal.public-safety', new Date('2026-11-25T12:00:00Z'), false],
    ['the parent purpose', open, 'legal', new Date('2026-11-25T12:00:00Z'), false],
    ['no case (not registered)', null, 'legal.criminal-investigation', new Date('2026-11-25T12:00:00Z'), false],
    ['a case for several purposes, one of them', { ...open, purposes: ['legal.public-safety', 'legal.vital-interests'] }, 'legal.vital-interests', new Date('2026-11-25T12:00:00Z'), true],
    ['a case with no purposes', { ...open, purposes: [] }, 'legal.criminal-investigation', new Date('2026-11-25T12:00:00Z'), false],
  ])('%s', (_name, c, purpose, at, expected) => {
    expect(caseValidFor(c, purpose, at)).toBe(expected);
  });
});

describe('compareScopes', () => {
  // Rows: from; columns: to, in SCOPES order (all, orders, provider, authorized, case).
  const EXPECTED: Record<Scope, string[]> = {
    all: ['same', 'narrows', 'narrows', 'narrows', 'narrows'],
    orders: ['widens', 'same', 'widens', 'widens', 'widens'],
    provider: ['widens', 'widens', 'same', 'widens', 'widens'],
    authorized: ['widens', 'widens', 'widens', 'same', 'widens'],
    case: ['widens', 'widens', 'widens', 'widens', 'same'],
  };
  const pairs = SCOPES.flatMap((from) => SCOPES.map((to, i) => [from, to, EXPECTED[from][i]] as const));

  it('the table covers the five scopes', () => {
    expect([...SCOPES]).toEqual(['all', 'orders', 'provider', 'authorized', 'case']);
    expect(pairs).toHaveLength(25);
  });

  it.each(pairs)('%s → %s: %s', (from, to, expected) => {
    expect(compareScopes(from, to)).toBe(expected);
  });
});

describe('isScope', () => {
  it.each([['all', true], ['case', true], ['authorized', true], ['ALL', false], ['authorised', false], ['', false], ['providers', false]])('%j: %s', (name, expected) => {
    expect(isScope(name as string)).toBe(expected);
  });
});
