import { GraphQLError, Kind, OperationDefinitionNode, parse } from 'graphql';
import { declarePurpose, judgeDeclaration, PurposeSource } from '../../src/callers/purpose';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../../src/policy';

/** SPEC §2: how a declaration is read and judged (callers/purpose.ts), a table of cases; no I/O. */
const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
const MALL = { id: 'mall-app', purposes: ['service.fulfilment', 'service.after-sales', 'personalization'] };
const LEGAL = { id: 'legal-desk', purposes: ['legal'] };

const PHONE = '{ user(id: 1) { phone } }';
function operation(document: string): OperationDefinitionNode {
  return parse(document).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
}
function source(document: string, headers: Record<string, string> = {}, variables: Record<string, unknown> = {}): PurposeSource {
  return { headers: new Map(Object.entries(headers)), operation: operation(document), variables };
}
/** The declaration as a plain object, or the rejection as `CODE: message`. */
function outcome(caller: { id: string; purposes: readonly string[] }, s: PurposeSource): unknown {
  try {
    const declared = declarePurpose(policy, caller, s);
    return declared && { ...declared };
  } catch (e) {
    return `${(e as GraphQLError).extensions.code}: ${(e as GraphQLError).message}`;
  }
}

const FULFILMENT = { purpose: 'service.fulfilment', basis: 'contract', caseRef: null, scope: 'orders' };

describe('declarePurpose: a request about to execute', () => {
  it.each([
    ['none declared', MALL, source('{ user(id: 1) { id } }'), null],
    ['header only', MALL, source(PHONE, { 'x-purpose': 'service.fulfilment' }), FULFILMENT],
    ['header only, blanks around it', MALL, source(PHONE, { 'x-purpose': '  service.fulfilment ' }), FULFILMENT],
    ['directive only', MALL, source('query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }'), FULFILMENT],
    ['directive and header equal', MALL, source('query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }', { 'x-purpose': 'service.fulfilment' }), FULFILMENT],
    ['directive and header different', MALL, source('query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }', { 'x-purpose': 'service.after-sales' }),
      'PURPOSE_CONFLICT: The operation declares purpose "service.fulfilment" but the header says "service.after-sales"'],
    ['a conflict comes before an unknown purpose', MALL, source('query @purpose(name: "service.teleport") { user(id: 1) { phone } }', { 'x-purpose': 'service.fulfilment' }),
      'PURPOSE_CONFLICT: The operation declares purpose "service.teleport" but the header says "service.fulfilment"'],
    ['case references different', LEGAL, source('query @purpose(name: "legal.public-safety", caseRef: "GA-1") { user(id: 1) { phone } }', { 'x-case-ref': 'GA-2' }),
      'PURPOSE_CONFLICT: The operation declares case reference "GA-1" but the header says "GA-2"'],
    ['unknown', MALL, source(PHONE, { 'x-purpose': 'service.teleport' }),
      'PURPOSE_UNKNOWN: "service.teleport" is not a purpose that can be declared; declare a specific purpose such as "service.fulfilment"'],
    ['a parent is not declarable', MALL, source(PHONE, { 'x-purpose': 'service' }),
      'PURPOSE_UNKNOWN: "service" is not a purpose that can be declared; declare a specific purpose such as "service.fulfilment"'],
    ['not permitted', MALL, source(PHONE, { 'x-purpose': 'service.payment' }),
      'PURPOSE_NOT_PERMITTED: Client "mall-app" is not registered for purpose "service.payment"'],
    ['unknown comes before not permitted', { id: 'nobody', purposes: [] }, source(PHONE, { 'x-purpose': 'legal' }),
      'PURPOSE_UNKNOWN: "legal" is not a purpose that can be declared; declare a specific purpose such as "service.fulfilment"'],
    ['a registration for a parent covers its children', LEGAL, source(PHONE, { 'x-purpose': 'legal.public-safety', 'x-case-ref': 'GA-2026-0117' }),
      { purpose: 'legal.public-safety', basis: 'legal-exception', caseRef: 'GA-2026-0117', scope: 'case' }],
    ['legal without case reference', LEGAL, source(PHONE, { 'x-purpose': 'legal.public-safety' }),
      'CASE_REF_REQUIRED: Purpose "legal.public-safety" needs a case reference (@purpose(caseRef:) or X-Case-Ref)'],
    ['legal, case reference of a bad format', LEGAL, source(PHONE, { 'x-purpose': 'legal.public-safety', 'x-case-ref': 'GA 2026 0117' }),
      'BAD_USER_INPUT: A case reference is 1-64 letters, digits and . _ : / -'],
    ['not permitted comes before a missing case reference', MALL, source(PHONE, { 'x-purpose': 'legal.public-safety' }),
      'PURPOSE_NOT_PERMITTED: Client "mall-app" is not registered for purpose "legal.public-safety"'],
    ['a case reference a purpose does not need is kept when well-formed', MALL, source(PHONE, { 'x-purpose': 'service.fulfilment', 'x-case-ref': 'GA-1' }), { ...FULFILMENT, caseRef: 'GA-1' }],
    ['… and dropped when not', MALL, source(PHONE, { 'x-purpose': 'service.fulfilment', 'x-case-ref': 'GA 1' }), FULFILMENT],
    ['variables in the directive', LEGAL,
      source('query ($p: String!, $c: String) @purpose(name: $p, caseRef: $c) { user(id: 1) { phone } }', {}, { p: 'legal.vital-interests', c: 'GA-2026-0117' }),
      { purpose: 'legal.vital-interests', basis: 'legal-exception', caseRef: 'GA-2026-0117', scope: 'case' }],
    ['a variable of the directive with no value', MALL, source('query ($p: String!) @purpose(name: $p) { user(id: 1) { phone } }'),
      'BAD_USER_INPUT: @purpose: Argument "name" of required type "String!" was provided the variable "$p" which was not provided a runtime value.'],
  ])('%s', (_name, caller, s, expected) => {
    expect(outcome(caller, s)).toEqual(expected);
  });

  it('the declaration is frozen', () => {
    const declared = declarePurpose(policy, MALL, source(PHONE, { 'x-purpose': 'service.fulfilment' }))!;
    expect(Object.isFrozen(declared)).toBe(true);
    expect(() => ((declared as { purpose: string }).purpose = 'account')).toThrow(TypeError);
  });

  it("reads Node's req.headers as well as a Map", () => {
    expect(declarePurpose(policy, MALL, { headers: { 'x-purpose': 'service.fulfilment', 'x-case-ref': undefined } })).toEqual(FULFILMENT);
  });
});

describe('judgeDeclaration: without throwing, for a check and for the schema route', () => {
  it('a check cannot know a variable or X-Case-Ref: warnings, not rejections', () => {
    const judged = judgeDeclaration(policy, LEGAL, { headers: new Map([['x-purpose', 'legal.public-safety']]), operation: operation('query ($p: String!) @purpose(name: $p) { user(id: 1) { phone } }') }, 'check');
    expect(judged).toEqual({
      ok: true,
      declared: { purpose: 'legal.public-safety', basis: 'legal-exception', caseRef: null, scope: 'case' },
      warnings: [
        '@purpose takes its name from a variable; the check cannot know it, pass `purpose`',
        'CASE_REF_REQUIRED: purpose "legal.public-safety" needs a case reference at run time (@purpose(caseRef:) or X-Case-Ref)',
      ],
    });
  });

  it("a check's conflict names the check, and carries the asked purpose and its basis", () => {
    const judged = judgeDeclaration(policy, MALL, { headers: new Map([['x-purpose', 'service.payment']]), operation: operation('query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }') }, 'check');
    expect(judged).toEqual({ ok: false, code: 'PURPOSE_CONFLICT', message: 'the operation declares purpose "service.fulfilment" but the check asks for "service.payment"', name: 'service.payment', basis: 'contract' });
  });

  it('a rejection carries the purpose named and its basis when the policy knows it', () => {
    expect(judgeDeclaration(policy, MALL, source(PHONE, { 'x-purpose': 'service.payment' }), 'execute')).toMatchObject({ ok: false, code: 'PURPOSE_NOT_PERMITTED', name: 'service.payment', basis: 'contract' });
    expect(judgeDeclaration(policy, MALL, source(PHONE, { 'x-purpose': 'x'.repeat(100) }), 'execute')).toMatchObject({ ok: false, code: 'PURPOSE_UNKNOWN', name: 'x'.repeat(64), basis: null });
  });

  it('the schema route needs no case reference and reads no X-Case-Ref', () => {
    expect(judgeDeclaration(policy, LEGAL, { headers: { 'x-purpose': 'legal.public-safety', 'x-case-ref': 'bad ref' } }, 'schema'))
      .toEqual({ ok: true, declared: { purpose: 'legal.public-safety', basis: 'legal-exception', caseRef: null, scope: 'case' }, warnings: [] });
    expect(judgeDeclaration(policy, MALL, { headers: {} }, 'schema')).toEqual({ ok: true, declared: null, warnings: [] });
  });
});
