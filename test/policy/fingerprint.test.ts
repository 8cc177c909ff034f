import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { canonicalPolicy, compilePolicy, defaultPolicyPath, parsePolicy, parseStampedVersion, policyFingerprint, stampedVersion } from '../../src/policy';

/**
 * Issue #22, "policyVersion cannot lie": a policy's fingerprint is the first 8 hex characters of
 * the SHA-256 of its canonical form. What a file says (purposes, categories, rules, masks, bases,
 * retention) moves it; how it says it (comments, key order, quoting, style, its version and name) does not.
 */
const current = readFileSync(defaultPolicyPath(), 'utf8');
const OPTIONS = { checkVocabulary: false } as const; // some edits add names the compiled vocabulary lacks
const fingerprint = (text: string, file = 'policy.yaml') => policyFingerprint(parsePolicy(text, file, OPTIONS));
const base = fingerprint(current);

/** Replaces exactly one occurrence (the fixture is wrong otherwise). */
function replaceOnce(text: string, find: string | RegExp, by: string): string {
  const matches = typeof find === 'string' ? text.split(find).length - 1 : (text.match(new RegExp(find.source, find.flags.includes('g') ? find.flags : find.flags + 'g')) ?? []).length;
  if (matches !== 1) throw new Error(`fixture: ${String(find)} found ${matches} times`);
  return text.replace(find, by);
}

/** The same YAML with every mapping's keys and every list in reverse order. */
function reversed(text: string): string {
  const doc = parseDocument(text);
  visit(doc, { Map: (_, node) => void node.items.reverse(), Seq: (_, node) => void node.items.reverse() });
  return doc.toString();
}

/** The same YAML without a comment, in block style everywhere, with every string (keys too) double-quoted. */
function restyled(text: string): string {
  const doc = parseDocument(text);
  visit(doc, {
    Node: (_, node) => {
      node.comment = null;
      node.commentBefore = null;
      if (isMap(node) || isSeq(node)) node.flow = false;
      if (isScalar(node) && typeof node.value === 'string') node.type = 'QUOTE_DOUBLE';
    },
  });
  doc.commentBefore = null;
  doc.comment = null;
  return doc.toString();
}

describe('what does not change the fingerprint', () => {
  const same: Array<[string, string, string]> = [
    ['comments removed, quoting and style changed', restyled(current), 'policy.yaml'],
    ['comments added', current.replace(/\n(rules:)/, '\n# reviewed again on 2026-12-05\n$1').replace(/(\n {2}research:\n)/, '$1    # no raw data\n'), 'policy.yaml'],
    ['every mapping\'s keys and every list reversed', reversed(current), 'policy.yaml'],
    ['the declared version', replaceOnce(current, 'version: "2026-12-02.1"', 'version: "2099-01-01.7"'), 'policy.yaml'],
    ['the file name', current, 'elsewhere/other-name.yaml'],
    ['children repeating their parent\'s scope (the same effective scope)', current.replace(/( {2}legal\.[a-z-]+:\n {4}basis: legal-exception\n)/g, '$1    scope: case\n'), 'policy.yaml'],
    ['a child repeating its parent\'s case-reference requirement', replaceOnce(current, /( {2}legal\.public-safety:\n {4}basis: legal-exception\n)/, '$1    caseRefRequired: true\n'), 'policy.yaml'],
  ];

  it.each(same)('%s', (what, text, file) => {
    if (what !== 'the file name') expect(text).not.toBe(current); // the edit is real
    expect(fingerprint(text, file)).toBe(base);
  });
});

describe('what changes it: every semantic part', () => {
  const changed: Array<[string, string]> = [
    ['a basis added', replaceOnce(current, 'bases: [contract,', 'bases: [public-task, contract,')],
    ['a mask added', replaceOnce(current, 'masks: [PHONE,', 'masks: [HASH, PHONE,')],
    ['a category added', replaceOnce(current, '  contact.address: Shipping address of an order.\n', '  contact.address: Shipping address of an order.\n  contact.email: E-mail address.\n')],
    ['a category\'s description', replaceOnce(current, 'Shipping address of an order.', 'Shipping address of an order or a return.')],
    ['a purpose added', replaceOnce(current, '\nrules:', '  research.public:\n    basis: legitimate-interest\n    description: Published statistics.\n\nrules:')],
    ['a purpose\'s basis', replaceOnce(current, /( {2}research:\n {4}basis: )legitimate-interest/, '$1consent')],
    ['a purpose\'s description', replaceOnce(current, 'De-identified statistics only.', 'De-identified statistics, and samples.')],
    ['a purpose made declarable', replaceOnce(current, /( {2}audit:\n(?: {4}.*\n)*?) {4}declarable: false\n/, '$1')],
    ['a purpose needing a case reference', replaceOnce(current, /( {2}research:\n {4}basis: legitimate-interest\n)/, '$1    caseRefRequired: true\n')],
    ['a purpose\'s scope', replaceOnce(current, /( {2}research:\n {4}basis: legitimate-interest\n {4}scope: )all/, '$1case')],
    ['a rule\'s decision', replaceOnce(current, /( {2}service\.payment:\n(?: {4}.*\n)*? {4}contact\.phone: )D/, '$1A')],
    ['a rule\'s mask', replaceOnce(current, /( {2}service\.payment:\n(?: {4}.*\n)*? {4}identity\.name: )M:NAME/, '$1M:YEAR')],
    ['a rule allowing turned into masking', replaceOnce(current, /( {2}service\.payment:\n(?: {4}.*\n)*? {4}financial\.card: )A/, '$1M:LAST4')],
    ['a rule removed (even one denying)', replaceOnce(current, /( {2}service\.payment:\n(?: {4}.*\n)*?) {4}location\.coarse: D\n/, '$1')],
    ['a rule added on a parent', replaceOnce(current, '\nrules:\n', '\nrules:\n  service:\n    profile.basic: A\n\n')],
    ['a retention period\'s days', replaceOnce(current, 'location.precise: { days: 90,', 'location.precise: { days: 91,')],
    ['a retention period\'s clock', replaceOnce(current, 'location.coarse: { days: 365, from: Device.lastSeenAt }', 'location.coarse: { days: 365, from: Order.createdAt }')],
    ['a retention period removed', replaceOnce(current, '  location.network: { days: 180, from: Device.lastSeenAt }\n', '')],
  ];

  it.each(changed)('%s', (_, text) => {
    expect(fingerprint(text)).not.toBe(base);
  });

  it('and each change gives a fingerprint of its own', () => {
    const prints = changed.map(([, text]) => fingerprint(text));
    expect(new Set(prints).size).toBe(changed.length);
  });
});

describe('its form', () => {
  const MINIMAL = [
    'version: "1"',
    'bases: [contract]',
    'masks: [PHONE]',
    'categories:',
    '  contact.phone: Phone number.',
    'purposes:',
    '  account:',
    '    basis: contract',
    '    scope: all',
    '    description: The account.',
    'rules:',
    '  account:',
    '    contact.phone: M:PHONE',
    '',
  ].join('\n');

  it('is the canonical JSON of the meaning only: no version, file name or line', () => {
    const doc = parsePolicy(MINIMAL, 'minimal.yaml', OPTIONS);
    expect(canonicalPolicy(doc)).toBe(
      '{"bases":["contract"],"masks":["PHONE"],"categories":[["contact.phone","Phone number."]],' +
        '"purposes":[["account",null,"contract","The account.",true,false,"all"]],' +
        '"rules":[["account","contact.phone","MASK","PHONE"]],"retention":[]}',
    );
  });

  it('is 8 hex characters of its SHA-256, pinned: changing the canonical form changes every stored version', () => {
    // sha256 of the canonical JSON above; a new value here means every store's ledger refuses its known versions.
    expect(policyFingerprint(parsePolicy(MINIMAL, 'minimal.yaml', OPTIONS))).toBe(PINNED);
  });

  it('stamps the compiled policy: version = declared + "+" + fingerprint', () => {
    const policy = compilePolicy(parsePolicy(current, 'policy.yaml'));
    expect(policy).toMatchObject({ declaredVersion: '2026-12-02.1', hash: base, version: `2026-12-02.1+${base}` });
    expect(policy.version).toMatch(/^2026-12-02\.1\+[0-9a-f]{8}$/);
  });

  it.each([
    ['2026-12-02.1+3f9a2c1d', { declared: '2026-12-02.1', hash: '3f9a2c1d' }],
    ['2026-12-02.1', { declared: '2026-12-02.1', hash: null }], // written before versions carried a hash
    ['v+1+0000ffff', { declared: 'v+1', hash: '0000ffff' }],
    ['v+3F9A2C1D', { declared: 'v+3F9A2C1D', hash: null }],
    ['v+3f9a2c1', { declared: 'v+3f9a2c1', hash: null }],
  ])('reads back %s', (stamped, parts) => {
    expect(parseStampedVersion(stamped)).toEqual(parts);
    if (parts.hash) expect(stampedVersion(parts.declared, parts.hash)).toBe(stamped);
  });
});

const PINNED = '0ee10d45';
