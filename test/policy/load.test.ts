import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as writeVocabulary, renderVocabulary } from '../../src/cli/policy-types';
import { PolicyValidationError, defaultPolicyPath, loadPolicy, parsePolicy, projectRoot } from '../../src/policy';

const policyFile = defaultPolicyPath();
const good = readFileSync(policyFile, 'utf8');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 1-based line of the first line matching the last pattern, each pattern searched after the previous one. */
function lineOf(text: string, ...patterns: RegExp[]): number {
  const lines = text.split('\n');
  let index = -1;
  for (const pattern of patterns) {
    index = lines.findIndex((line, i) => i > index && pattern.test(line));
    if (index < 0) throw new Error(`fixture: ${pattern} not found`);
  }
  return index + 1;
}

/** Replaces the line that lineOf finds; `null` deletes it. */
function editLine(text: string, patterns: RegExp[], change: (line: string) => string | null): string {
  const lines = text.split('\n');
  const index = lineOf(text, ...patterns) - 1;
  const changed = change(lines[index]);
  if (changed === null) lines.splice(index, 1);
  else lines[index] = changed;
  return lines.join('\n');
}

const RULES = /^rules:/;
const PURPOSES = /^purposes:/;

interface BadFile {
  readonly name: string;
  readonly text: string;
  /** Patterns locating the line the error must name, in the bad text. */
  readonly at: RegExp[];
  readonly problem: string | RegExp;
}

const BAD_FILES: BadFile[] = [
  {
    name: 'an unknown mask in a rule',
    text: editLine(good, [RULES, /^ {2}service\.payment:/, /^ {4}contact\.phone:/], () => '    contact.phone: M:PHONEX'),
    at: [RULES, /^ {2}service\.payment:/, /^ {4}contact\.phone:/],
    problem: 'unknown mask "PHONEX" in rule service.payment/contact.phone',
  },
  {
    name: 'an unknown category in a rule',
    text: editLine(good, [RULES, /^ {2}analytics:/, /^ {4}device\.info:/], () => '    device.infos: A'),
    at: [RULES, /^ {2}analytics:/, /^ {4}device\.infos:/],
    problem: 'unknown category "device.infos" in rules of analytics',
  },
  {
    name: 'an unknown purpose in the rules',
    text: editLine(good, [RULES, /^ {2}research:/], () => '  researching:'),
    at: [RULES, /^ {2}researching:/],
    problem: 'unknown purpose "researching" in rules',
  },
  {
    name: 'a rule value that is not A, D or M:KIND',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], () => '    contact.phone: allow'),
    at: [RULES, /^ {2}account:/, /^ {4}contact\.phone:/],
    problem: 'rule account/contact.phone must be A, D or M:<MASK>',
  },
  {
    name: 'a rule value that is a YAML mapping',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], () => '    contact.phone: { M: PHONE }'),
    at: [RULES, /^ {2}account:/, /^ {4}contact\.phone:/],
    problem: 'rule account/contact.phone must be A, D or M:<MASK>',
  },
  {
    name: 'a mask with no name',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], () => '    contact.phone: "M:"'),
    at: [RULES, /^ {2}account:/, /^ {4}contact\.phone:/],
    problem: 'unknown mask "" in rule account/contact.phone',
  },
  {
    name: 'an unknown basis',
    text: editLine(good, [PURPOSES, /^ {2}analytics:/, /^ {4}basis:/], () => '    basis: consnet'),
    at: [PURPOSES, /^ {2}analytics:/, /^ {4}basis:/],
    problem: 'unknown basis "consnet" in purpose analytics',
  },
  {
    name: 'a purpose without basis',
    text: editLine(good, [PURPOSES, /^ {2}third-party-app:/, /^ {4}basis:/], () => null),
    at: [PURPOSES, /^ {2}third-party-app:/],
    problem: 'purpose third-party-app has no basis',
  },
  {
    name: 'an empty basis',
    text: editLine(good, [PURPOSES, /^ {2}research:/, /^ {4}basis:/], () => '    basis:'),
    at: [PURPOSES, /^ {2}research:/, /^ {4}basis:/],
    problem: 'the basis of purpose research must be a non-empty string',
  },
  {
    name: 'an unknown key in a purpose',
    text: editLine(good, [PURPOSES, /^ {2}research:/, /^ {4}basis:/], (line) => `${line}\n    declarabel: false`),
    at: [PURPOSES, /^ {2}research:/, /declarabel/],
    problem: 'unknown key "declarabel" in purpose research',
  },
  {
    name: 'a non-declarable leaf',
    text: editLine(good, [PURPOSES, /^ {2}research:/, /^ {4}basis:/], (line) => `${line}\n    declarable: false`),
    at: [PURPOSES, /^ {2}research:/],
    problem: 'purpose research is not declarable and has no children',
  },
  {
    name: 'a child whose parent is not defined',
    text: editLine(good, [PURPOSES, /^ {2}research:/], (line) => `  billing.refund:\n    basis: contract\n    description: Refunds.\n${line}`),
    at: [PURPOSES, /^ {2}billing\.refund:/],
    problem: 'purpose billing.refund has no parent purpose billing defined',
  },
  {
    name: 'a legal purpose dropping the case reference',
    text: editLine(good, [PURPOSES, /^ {2}legal\.public-safety:/, /^ {4}basis:/], (line) => `${line}\n    caseRefRequired: false`),
    at: [PURPOSES, /^ {2}legal\.public-safety:/, /caseRefRequired/],
    problem: 'purpose legal.public-safety cannot drop the case reference that legal requires',
  },
  {
    name: 'a missing version',
    text: editLine(good, [/^version:/], () => null),
    at: [/^/],
    problem: 'missing version',
  },
  {
    name: 'an unquoted numeric version',
    text: editLine(good, [/^version:/], () => 'version: 2026.1'),
    at: [/^version:/],
    problem: 'version (quote it) must be a non-empty string',
  },
  {
    name: 'an unknown section',
    text: editLine(good, [RULES], () => 'rule:'),
    at: [/^rule:/],
    problem: 'unknown section "rule" (expected version, bases, masks, categories, purposes, rules, retention)',
  },
  {
    name: 'a YAML syntax error',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], (line) => `\t${line.trim()}`),
    at: [RULES, /^ {2}account:/, /^\tcontact\.phone:/],
    problem: 'Tabs are not allowed as indentation',
  },
  {
    name: 'a reserved character',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], () => '    contact.phone: @A'),
    at: [RULES, /^ {2}account:/, /^ {4}contact\.phone:/],
    problem: 'Plain value cannot start with reserved character @',
  },
  {
    // YAML notices an unclosed flow sequence where the next content starts.
    name: 'an unclosed list',
    text: editLine(good, [/^masks:/], () => 'masks: [PHONE, NAME'),
    at: [/^categories:/],
    problem: /must be sufficiently indented and end with a \]/,
  },
  {
    name: 'a duplicate rule',
    text: editLine(good, [RULES, /^ {2}account:/, /^ {4}contact\.phone:/], (line) => `${line}\n    contact.phone: D`),
    at: [RULES, /^ {2}account:/, /^ {4}contact\.phone:/, /^ {4}contact\.phone:/],
    problem: /unique/i,
  },
  {
    name: 'a mask listed twice',
    text: editLine(good, [/^masks:/], () => 'masks: [PHONE, NAME, ACCOUNT, LAST4, YEAR, CITY, COARSE, IP_PREFIX, PSEUDONYM, NAME]'),
    at: [/^masks:/],
    problem: '"NAME" is listed twice in masks',
  },
  {
    name: 'an invalid category name',
    text: editLine(good, [/^categories:/, /^ {2}profile\.basic:/], (line) => line.replace('profile.basic', "profile.basic'")),
    at: [/^categories:/, /^ {2}profile\.basic'/],
    problem: `invalid category name "profile.basic'"`,
  },
  {
    name: 'a mask the compiled vocabulary lacks',
    text: editLine(good, [/^masks:/], () => 'masks: [PHONE, NAME, ACCOUNT, LAST4, YEAR, CITY, COARSE, IP_PREFIX, PSEUDONYM, STARS]'),
    at: [/^masks:/],
    problem: /^mask "STARS" is not in the compiled vocabulary: regenerate src\/policy\/vocabulary\.ts/,
  },
  {
    name: 'a category of the compiled vocabulary missing',
    text: good
      .split('\n')
      .filter((line) => !/^ {2,4}location\.coarse:/.test(line))
      .join('\n'),
    at: [/^categories:/],
    problem: /^category "location\.coarse" of the compiled vocabulary is missing/,
  },
  {
    name: 'a purpose the compiled vocabulary lacks',
    text: editLine(good, [PURPOSES, /^ {2}research:/], (line) => `  research.survey:\n    basis: consent\n    description: Surveys.\n${line}`).replace(
      /^( {2}research:\n {4}basis: legitimate-interest\n {4}description: .*)$/m,
      '$1\n    declarable: false',
    ),
    at: [PURPOSES, /^ {2}research\.survey:/],
    problem: /^purpose "research\.survey" is not in the compiled vocabulary/,
  },
  {
    name: 'a list where a mapping belongs',
    text: good.replace(/^categories:\n( {2}.*\n)+/m, 'categories: [profile.basic]\n'),
    at: [/^categories:/],
    problem: 'categories must be a mapping',
  },
  {
    name: 'a word where a list belongs',
    text: editLine(good, [/^bases:/], () => 'bases: contract'),
    at: [/^bases:/],
    problem: 'bases must be a list',
  },
  { name: 'an empty file', text: '', at: [/^/], problem: 'the policy must be a mapping' },
  // SPEC §11: the scope of each purpose is validated at start.
  {
    name: 'an unknown scope',
    text: editLine(good, [PURPOSES, /^ {2}service\.payment:/, /^ {4}scope:/], () => '    scope: providers'),
    at: [PURPOSES, /^ {2}service\.payment:/, /^ {4}scope:/],
    problem: 'unknown scope "providers" in purpose service.payment (expected all, orders, provider, authorized, case)',
  },
  {
    name: 'an unknown scope on a parent',
    text: editLine(good, [PURPOSES, /^ {2}legal:/, /^ {4}scope:/], () => '    scope: cases'),
    at: [PURPOSES, /^ {2}legal:/, /^ {4}scope:/],
    problem: 'unknown scope "cases" in purpose legal (expected all, orders, provider, authorized, case)',
  },
  {
    name: 'a scope that differs only in case',
    text: editLine(good, [PURPOSES, /^ {2}account:/, /^ {4}scope:/], () => '    scope: All'),
    at: [PURPOSES, /^ {2}account:/, /^ {4}scope:/],
    problem: 'unknown scope "All" in purpose account (expected all, orders, provider, authorized, case)',
  },
  {
    name: 'an empty scope',
    text: editLine(good, [PURPOSES, /^ {2}research:/, /^ {4}scope:/], () => '    scope:'),
    at: [PURPOSES, /^ {2}research:/, /^ {4}scope:/],
    problem: 'the scope of purpose research must be a non-empty string',
  },
  {
    name: 'a scope that is a list',
    text: editLine(good, [PURPOSES, /^ {2}research:/, /^ {4}scope:/], () => '    scope: [all, orders]'),
    at: [PURPOSES, /^ {2}research:/, /^ {4}scope:/],
    problem: 'the scope of purpose research must be a non-empty string',
  },
  {
    name: 'a declarable purpose without a scope',
    text: editLine(good, [PURPOSES, /^ {2}third-party-app:/, /^ {4}scope:/], () => null),
    at: [PURPOSES, /^ {2}third-party-app:/],
    problem: 'purpose third-party-app has no scope (set scope: one of all, orders, provider, authorized, case on it or on a parent)',
  },
  {
    // The legal purposes inherit theirs from `legal`: without it, the first of them is at fault.
    name: 'a parent without the scope its children inherit',
    text: editLine(good, [PURPOSES, /^ {2}legal:/, /^ {4}scope:/], () => null),
    at: [PURPOSES, /^ {2}legal\.state-security:/],
    problem: 'purpose legal.state-security has no scope (set scope: one of all, orders, provider, authorized, case on it or on a parent)',
  },
];

describe('loadPolicy on the reviewed file', () => {
  const doc = loadPolicy(policyFile);

  it('names it relative to the working directory', () => {
    expect(doc.file).toBe(join('schema', 'policy.yaml'));
  });

  it('reads the version, bases and the purpose tree', () => {
    expect(doc.version).toBe('2026-12-02.1');
    expect(doc.bases).toEqual(['contract', 'consent', 'legitimate-interest', 'legal-obligation', 'legal-exception']);
    const purposes = new Map(doc.purposes.map((p) => [p.name, p]));
    for (const parent of ['service', 'security', 'marketing', 'legal', 'audit']) expect(purposes.get(parent)?.declarable).toBe(false);
    expect(purposes.get('legal.criminal-investigation')).toMatchObject({ parent: 'legal', caseRefRequired: true, declarable: true });
    expect(purposes.get('service.payment')).toMatchObject({ parent: 'service', caseRefRequired: false });
    expect(purposes.get('account')?.parent).toBeNull();
    expect(doc.categories).toHaveLength(14);
    for (const category of doc.categories) expect(category.description.length).toBeGreaterThan(10);
  });

  it('records the line of each rule', () => {
    const rule = doc.rules.find((r) => r.purpose === 'service.payment' && r.category === 'contact.phone');
    expect(rule).toMatchObject({ decision: 'DENY', mask: null, line: lineOf(good, RULES, /^ {2}service\.payment:/, /^ {4}contact\.phone:/) });
  });
});

describe('loadPolicy rejects a bad file, naming its line', () => {
  it.each(BAD_FILES.map((bad) => [bad.name, bad] as const))('%s', (name, bad) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, bad.text);
    const line = lineOf(bad.text, ...bad.at);
    let thrown: unknown;
    try {
      loadPolicy(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyValidationError);
    const error = thrown as PolicyValidationError;
    expect({ file: error.file, line: error.line }).toEqual({ file, line });
    expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
    if (typeof bad.problem === 'string') expect(error.problem).toBe(bad.problem);
    else expect(error.problem).toMatch(bad.problem);
  });

  it('reads a file that names other purposes when the vocabulary check is off', () => {
    const text = BAD_FILES.find((b) => b.name === 'a purpose the compiled vocabulary lacks')?.text ?? '';
    const doc = parsePolicy(text, 'other.yaml', { checkVocabulary: false });
    expect(doc.purposes.find((p) => p.name === 'research.survey')).toMatchObject({ parent: 'research', basis: 'consent' });
  });
});

describe('scopes (SPEC §11)', () => {
  const scopes = (text: string, options?: Parameters<typeof parsePolicy>[2]) =>
    Object.fromEntries(parsePolicy(text, 'policy.yaml', options).purposes.map((p) => [p.name, p.scope]));

  it('reads the scope of every purpose of the reviewed file, inherited from the parent where the child sets none', () => {
    expect(scopes(good)).toMatchObject({
      account: 'all',
      'service.fulfilment': 'orders',
      'service.after-sales': 'orders',
      'service.payment': 'provider',
      'security.risk-control': 'all', // from security
      personalization: 'all',
      'marketing.push': 'all', // from marketing
      analytics: 'all',
      'third-party-app': 'authorized',
      research: 'all',
      legal: 'case',
      'legal.state-security': 'case', // from legal
      'legal.public-safety': 'case',
      'legal.criminal-investigation': 'case',
      'legal.vital-interests': 'case',
      'audit.review': 'all', // from audit
    });
    // The fixture edits below rely on these children setting no scope of their own.
    expect(lineOf(good, PURPOSES, /^ {2}legal\.vital-interests:/, /^ {4}description:/)).toBe(lineOf(good, PURPOSES, /^ {2}legal\.vital-interests:/) + 2);
  });

  it('a child that sets its own scope overrides its parent, and only for itself', () => {
    const text = editLine(good, [PURPOSES, /^ {2}legal\.vital-interests:/, /^ {4}basis:/], (line) => `${line}\n    scope: all`);
    const s = scopes(text);
    expect(s['legal.vital-interests']).toBe('all');
    expect(s['legal.public-safety']).toBe('case');
    expect(s.legal).toBe('case');
  });

  it('a parent\'s scope changes every child that inherits it', () => {
    const text = editLine(good, [PURPOSES, /^ {2}security:/, /^ {4}scope:/], () => '    scope: case');
    expect(scopes(text)['security.risk-control']).toBe('case');
  });

  it('a child under a parent with no scope of its own may set one', () => {
    // `service` has no scope; its children each set theirs.
    const service = editLine(good, [PURPOSES, /^ {2}service\.fulfilment:/, /^ {4}scope:/], () => '    scope: provider');
    expect(scopes(service)['service.fulfilment']).toBe('provider');
    expect(scopes(service)['service.after-sales']).toBe('orders');
  });

  it('requireScopes: false reads a file written before scopes: every purpose is `all`', () => {
    const old = good.split('\n').filter((line) => !/^ {4}scope:/.test(line)).join('\n');
    expect(old).not.toMatch(/^ +scope:/m);
    expect(() => parsePolicy(old, 'old.yaml')).toThrow(PolicyValidationError);
    const s = scopes(old, { requireScopes: false });
    expect(Object.keys(s).length).toBeGreaterThan(15);
    for (const [name, scope] of Object.entries(s)) expect([name, scope]).toEqual([name, 'all']);
  });

  it('requireScopes: false keeps the scopes that a file does set, and still refuses an unknown one', () => {
    const partial = good.split('\n').filter((line) => !/^ {4}scope: (all|orders|authorized|case)$/.test(line)).join('\n');
    const s = scopes(partial, { requireScopes: false });
    expect(s['service.payment']).toBe('provider');
    expect(s['service.fulfilment']).toBe('all');
    expect(s['legal.criminal-investigation']).toBe('all');
    const unknown = editLine(good, [PURPOSES, /^ {2}service\.payment:/, /^ {4}scope:/], () => '    scope: everyone');
    expect(() => parsePolicy(unknown, 'x.yaml', { requireScopes: false })).toThrow(/unknown scope "everyone" in purpose service\.payment/);
  });
});

describe('the generated vocabulary', () => {
  const vocabularyFile = join(projectRoot(), 'src', 'policy', 'vocabulary.ts');

  it('is up to date with schema/policy.yaml (run node dist/src/cli/policy-types.js)', () => {
    const doc = parsePolicy(good, 'schema/policy.yaml', { checkVocabulary: false });
    expect(readFileSync(vocabularyFile, 'utf8')).toBe(renderVocabulary(doc));
  });

  it('changes with the policy, so that the check above can fail', () => {
    const changed = editLine(good, [/^masks:/], () => 'masks: [PHONE, NAME, ACCOUNT, LAST4, YEAR, CITY, COARSE, IP_PREFIX, PSEUDONYM, STARS]');
    const rendered = renderVocabulary(parsePolicy(changed, 'x.yaml', { checkVocabulary: false }));
    expect(rendered).not.toBe(readFileSync(vocabularyFile, 'utf8'));
    expect(rendered).toContain("  'STARS',\n] as const;\nexport type MaskKind");
  });

  it('starts with a do-not-edit notice and lists only declarable purposes', () => {
    const source = readFileSync(vocabularyFile, 'utf8');
    expect(source.split('\n')[0]).toMatch(/^\/\/ GENERATED .*do not edit/);
    expect(source).toContain("  'legal.public-safety',");
    expect(source).not.toContain("  'legal',");
  });

  it('is written by the generator from a policy file', () => {
    const out = join(dir, 'vocabulary.ts');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      writeVocabulary([policyFile, out]);
    } finally {
      write.mockRestore();
    }
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(vocabularyFile, 'utf8'));
  });
});

describe('defaultPolicyPath', () => {
  it('finds schema/policy.yaml of the project from src/ and from dist/src/', () => {
    const root = projectRoot();
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toContain('"name": "purposegate"');
    expect(policyFile).toBe(join(root, 'schema', 'policy.yaml'));
    expect(projectRoot(join(root, 'dist', 'src', 'policy'))).toBe(root);
    expect(projectRoot(join(root, 'src', 'policy'))).toBe(root);
  });

  it('fails clearly outside a project', () => {
    expect(() => projectRoot(dir)).toThrow(/no project root/);
  });
});
