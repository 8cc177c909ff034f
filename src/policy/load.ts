import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, YAMLMap, YAMLSeq } from 'yaml';
import type { Decision } from './engine';
import { isScope, SCOPES } from './scope';
import type { Scope } from './scope';
import { CATEGORIES, LEGAL_BASES, MASK_KINDS, PURPOSES } from './vocabulary';

/** A policy file that must not be used; the message reads `<file>:<line>: <problem>`. */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  readonly code = 'POLICY_INVALID';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
  }
}

export interface CategoryDefinition {
  readonly name: string;
  readonly description: string;
}

export interface PurposeDefinition {
  readonly name: string;
  /** The purpose above it in the tree (`service` for `service.fulfilment`), null at the top. */
  readonly parent: string | null;
  readonly basis: string;
  readonly description: string;
  /** False for a parent that only groups its children; a request cannot declare it. */
  readonly declarable: boolean;
  /** Effective value: set on the purpose or on any ancestor. */
  readonly caseRefRequired: boolean;
  /** Effective relationship scope (SPEC §11): set on the purpose or inherited from the nearest ancestor that sets one. */
  readonly scope: Scope;
}

export interface RuleDefinition {
  readonly purpose: string;
  readonly category: string;
  readonly decision: Decision;
  readonly mask: string | null;
  readonly line: number;
}

/** Row timestamps a retention period can run from (SPEC §7): the stores' own, one per entity. */
export const RETENTION_CLOCKS = ['Device.lastSeenAt', 'Order.createdAt'] as const;
export type RetentionClock = (typeof RETENTION_CLOCKS)[number];

/**
 * How long a category's values are kept on one kind of row (the privacy policy's §3(3)): past
 * `days` after the row's `from` timestamp, the value is denied RETENTION_EXPIRED and
 * `retention:sweep` removes it. It applies to the fields of that entity only.
 */
export interface RetentionDefinition {
  readonly category: string;
  readonly days: number;
  readonly from: RetentionClock;
  readonly line: number;
}

/** A validated policy file. Names are plain strings: the file defines the vocabulary that code is generated from. */
export interface PolicyDocument {
  readonly file: string;
  readonly version: string;
  readonly bases: readonly string[];
  readonly masks: readonly string[];
  readonly categories: readonly CategoryDefinition[];
  readonly purposes: readonly PurposeDefinition[];
  readonly rules: readonly RuleDefinition[];
  /** Retention periods, at most one per category (none when the file has no `retention:`). */
  readonly retention: readonly RetentionDefinition[];
}

export interface ParseOptions {
  /**
   * Require the file to name exactly the purposes, categories, masks and bases of the
   * compiled src/policy/vocabulary.ts (default true). Only the generator of that file,
   * and tools reading older policy files, turn it off.
   */
  readonly checkVocabulary?: boolean;
  /**
   * Require every declarable purpose to have a scope, on itself or an ancestor (default true).
   * Tools reading a policy file written before scopes existed turn it off: such a file's
   * purposes then have scope `all`, which is how the gateway behaved under it.
   */
  readonly requireScopes?: boolean;
}

const SECTIONS = ['version', 'bases', 'masks', 'categories', 'purposes', 'rules', 'retention'] as const;
const PURPOSE_KEYS = new Set(['basis', 'description', 'declarable', 'caseRefRequired', 'scope']);
// Names end up in generated TypeScript and in error codes: keep them to a safe alphabet.
const DOTTED_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const BASIS_NAME = /^[a-z][a-z0-9-]*$/;
const MASK_NAME = /^[A-Z][A-Z0-9_]*$/;
const RULE_VALUE = /^(?:A|D|M:(.*))$/;
const REGENERATE = 'regenerate src/policy/vocabulary.ts (node dist/src/cli/policy-types.js) and rebuild';

type Entry = { readonly key: string; readonly keyNode: Node; readonly value: Node | null };

/** Reads YAML nodes and fails with the line of the node at fault. */
class PolicyReader {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  lineAt(offset: number): number {
    return Math.max(1, this.lines.linePos(offset).line);
  }

  lineOf(node: Node | null | undefined): number {
    const start = node?.range?.[0];
    return start === undefined ? 1 : this.lineAt(start);
  }

  fail(node: Node | null | undefined, problem: string): never {
    throw new PolicyValidationError(this.file, this.lineOf(node), problem);
  }

  /** For what is absent from the file: there is no node to point at, so the file's first line. */
  failMissing(problem: string): never {
    throw new PolicyValidationError(this.file, 1, problem);
  }

  map(node: Node | null, what: string, fallback?: Node): YAMLMap<unknown, unknown> {
    if (!isMap(node)) this.fail(node ?? fallback, `${what} must be a mapping`);
    return node;
  }

  seq(node: Node | null, what: string, fallback?: Node): YAMLSeq<unknown> {
    if (!isSeq(node)) this.fail(node ?? fallback, `${what} must be a list`);
    return node;
  }

  string(node: unknown, what: string, fallback?: Node): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
      this.fail(isScalar(node) ? node : fallback, `${what} must be a non-empty string`);
    }
    return node.value;
  }

  boolean(node: Node | null, what: string, fallback?: Node): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node ?? fallback, `${what} must be true or false`);
    return node.value;
  }

  entries(map: YAMLMap<unknown, unknown>, what: string): Entry[] {
    return map.items.map((pair) => {
      const keyNode = pair.key as Node;
      const key = this.string(keyNode, `a key of ${what}`, map);
      return { key, keyNode, value: (pair.value as Node | null) ?? null };
    });
  }

  names(node: Node | null, what: string, shape: RegExp, fallback: Node): Map<string, Node> {
    const names = new Map<string, Node>();
    for (const item of this.seq(node, what, fallback).items as Node[]) {
      const name = this.string(item, `an entry of ${what}`, fallback);
      if (!shape.test(name)) this.fail(item, `invalid name "${name}" in ${what}`);
      if (names.has(name)) this.fail(item, `"${name}" is listed twice in ${what}`);
      names.set(name, item);
    }
    if (names.size === 0) this.fail(node, `${what} must not be empty`);
    return names;
  }
}

/** Parses and validates a policy file's text; `file` only names it in errors. */
export function parsePolicy(text: string, file: string, options: ParseOptions = {}): PolicyDocument {
  const lines = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const read: PolicyReader = new PolicyReader(file, lines);
  const syntaxError = yaml.errors[0];
  if (syntaxError) throw new PolicyValidationError(file, read.lineAt(syntaxError.pos[0]), syntaxError.message);

  const root = read.map(yaml.contents, 'the policy');
  const sections = new Map<string, Entry>();
  for (const entry of read.entries(root, 'the policy')) {
    if (!(SECTIONS as readonly string[]).includes(entry.key)) {
      read.fail(entry.keyNode, `unknown section "${entry.key}" (expected ${SECTIONS.join(', ')})`);
    }
    sections.set(entry.key, entry);
  }
  const section = (name: Exclude<(typeof SECTIONS)[number], 'retention'>): Entry => {
    const entry = sections.get(name);
    if (!entry) read.failMissing(`missing ${name}`);
    return entry;
  };

  const versionEntry = section('version');
  const version = read.string(versionEntry.value, 'version (quote it)', versionEntry.keyNode);

  const basesEntry = section('bases');
  const bases = read.names(basesEntry.value, 'bases', BASIS_NAME, basesEntry.keyNode);
  const masksEntry = section('masks');
  const masks = read.names(masksEntry.value, 'masks', MASK_NAME, masksEntry.keyNode);

  const categoriesEntry = section('categories');
  const categories = new Map<string, { definition: CategoryDefinition; node: Node }>();
  for (const { key, keyNode, value } of read.entries(read.map(categoriesEntry.value, 'categories', categoriesEntry.keyNode), 'categories')) {
    if (!DOTTED_NAME.test(key)) read.fail(keyNode, `invalid category name "${key}"`);
    const description = read.string(value, `the description of category ${key}`, keyNode);
    categories.set(key, { definition: { name: key, description }, node: keyNode });
  }
  if (categories.size === 0) read.fail(categoriesEntry.keyNode, 'categories must not be empty');

  const purposes = readPurposes(read, section('purposes'), bases, options.requireScopes ?? true);
  const rules = readRules(read, section('rules'), purposes, categories, masks);
  const retentionEntry = sections.get('retention');
  const retention = retentionEntry ? readRetention(read, retentionEntry, categories) : [];

  if (options.checkVocabulary ?? true) {
    const declarable = new Map([...purposes].filter(([, p]) => p.definition.declarable).map(([name, p]) => [name, p.node]));
    checkVocabulary(read, 'purpose', declarable, PURPOSES, section('purposes').keyNode);
    checkVocabulary(read, 'category', new Map([...categories].map(([name, c]) => [name, c.node])), CATEGORIES, categoriesEntry.keyNode);
    checkVocabulary(read, 'mask', masks, MASK_KINDS, masksEntry.keyNode);
    checkVocabulary(read, 'basis', bases, LEGAL_BASES, basesEntry.keyNode);
  }

  return Object.freeze({
    file,
    version,
    bases: Object.freeze([...bases.keys()]),
    masks: Object.freeze([...masks.keys()]),
    categories: Object.freeze([...categories.values()].map((c) => Object.freeze(c.definition))),
    purposes: Object.freeze([...purposes.values()].map((p) => Object.freeze(p.definition))),
    rules: Object.freeze(rules),
    retention: Object.freeze(retention),
  });
}

const RETENTION_KEYS = new Set(['days', 'from']);

function readRetention(read: PolicyReader, section: Entry, categories: ReadonlyMap<string, unknown>): RetentionDefinition[] {
  const out: RetentionDefinition[] = [];
  for (const { key: category, keyNode, value } of read.entries(read.map(section.value, 'retention', section.keyNode), 'retention')) {
    if (!categories.has(category)) read.fail(keyNode, `unknown category "${category}" in retention`);
    const fields = new Map(read.entries(read.map(value, `the retention of ${category}`, keyNode), `the retention of ${category}`).map((e) => [e.key, e]));
    for (const f of fields.values()) if (!RETENTION_KEYS.has(f.key)) read.fail(f.keyNode, `unknown key "${f.key}" in the retention of ${category} (expected days, from)`);
    const daysEntry = fields.get('days');
    if (!daysEntry) read.fail(keyNode, `the retention of ${category} has no days`);
    const days = isScalar(daysEntry.value) ? daysEntry.value.value : null;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1) {
      read.fail(daysEntry.value ?? daysEntry.keyNode, `the retention of ${category} must be a whole number of days, at least 1`);
    }
    const fromEntry = fields.get('from');
    if (!fromEntry) read.fail(keyNode, `the retention of ${category} has no from (one of ${RETENTION_CLOCKS.join(', ')})`);
    const from = read.string(fromEntry.value, `the from of the retention of ${category}`, fromEntry.keyNode);
    if (!(RETENTION_CLOCKS as readonly string[]).includes(from)) read.fail(fromEntry.value, `unknown from "${from}" in the retention of ${category} (expected ${RETENTION_CLOCKS.join(', ')})`);
    out.push(Object.freeze({ category, days, from: from as RetentionClock, line: read.lineOf(keyNode) }));
  }
  return out;
}

type ReadPurpose = { definition: PurposeDefinition; node: Node };

function readPurposes(read: PolicyReader, section: Entry, bases: ReadonlyMap<string, Node>, requireScopes: boolean): Map<string, ReadPurpose> {
  const raw = new Map<string, { keyNode: Node; basis: string; description: string; declarable: boolean; caseRef: boolean | null; caseRefNode: Node | null; scope: Scope | null }>();
  for (const { key: name, keyNode, value } of read.entries(read.map(section.value, 'purposes', section.keyNode), 'purposes')) {
    if (!DOTTED_NAME.test(name)) read.fail(keyNode, `invalid purpose name "${name}"`);
    const fields = new Map(read.entries(read.map(value, `purpose ${name}`, keyNode), `purpose ${name}`).map((e) => [e.key, e]));
    for (const field of fields.values()) {
      if (!PURPOSE_KEYS.has(field.key)) read.fail(field.keyNode, `unknown key "${field.key}" in purpose ${name}`);
    }
    const basisEntry = fields.get('basis');
    if (!basisEntry) read.fail(keyNode, `purpose ${name} has no basis`);
    const basis = read.string(basisEntry.value, `the basis of purpose ${name}`, basisEntry.keyNode);
    if (!bases.has(basis)) read.fail(basisEntry.value, `unknown basis "${basis}" in purpose ${name}`);
    const descriptionEntry = fields.get('description');
    if (!descriptionEntry) read.fail(keyNode, `purpose ${name} has no description`);
    const description = read.string(descriptionEntry.value, `the description of purpose ${name}`, descriptionEntry.keyNode);
    const declarableEntry = fields.get('declarable');
    const declarable = declarableEntry ? read.boolean(declarableEntry.value, `declarable of purpose ${name}`, declarableEntry.keyNode) : true;
    const caseRefEntry = fields.get('caseRefRequired');
    const caseRef = caseRefEntry ? read.boolean(caseRefEntry.value, `caseRefRequired of purpose ${name}`, caseRefEntry.keyNode) : null;
    const scopeEntry = fields.get('scope');
    let scope: Scope | null = null;
    if (scopeEntry) {
      const text = read.string(scopeEntry.value, `the scope of purpose ${name}`, scopeEntry.keyNode);
      if (!isScope(text)) read.fail(scopeEntry.value, `unknown scope "${text}" in purpose ${name} (expected ${SCOPES.join(', ')})`);
      scope = text;
    }
    raw.set(name, { keyNode, basis, description, declarable, caseRef, caseRefNode: caseRefEntry?.value ?? null, scope });
  }
  if (raw.size === 0) read.fail(section.keyNode, 'purposes must not be empty');

  const parentOf = (name: string): string | null => (name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : null);
  const hasChildren = new Set([...raw.keys()].map(parentOf).filter((p): p is string => p !== null));
  // A child may add the case-reference requirement but never drop its parent's.
  const caseRefRequired = (name: string): boolean => {
    const purpose = raw.get(name);
    const parent = parentOf(name);
    const inherited = parent !== null && caseRefRequired(parent);
    if (purpose && inherited && purpose.caseRef === false) {
      read.fail(purpose.caseRefNode, `purpose ${name} cannot drop the case reference that ${parent ?? ''} requires`);
    }
    return inherited || (purpose?.caseRef ?? false);
  };

  // Like the table, a scope is inherited down the tree unless a child sets its own.
  const scopeOf = (name: string | null): Scope | null => (name === null ? null : raw.get(name)?.scope ?? scopeOf(parentOf(name)));

  const purposes = new Map<string, ReadPurpose>();
  for (const [name, p] of raw) {
    const parent = parentOf(name);
    if (parent !== null && !raw.has(parent)) read.fail(p.keyNode, `purpose ${name} has no parent purpose ${parent} defined`);
    if (!p.declarable && !hasChildren.has(name)) read.fail(p.keyNode, `purpose ${name} is not declarable and has no children`);
    let scope = scopeOf(name);
    if (scope === null) {
      if (requireScopes && p.declarable) read.fail(p.keyNode, `purpose ${name} has no scope (set scope: one of ${SCOPES.join(', ')} on it or on a parent)`);
      scope = 'all';
    }
    const definition: PurposeDefinition = { name, parent, basis: p.basis, description: p.description, declarable: p.declarable, caseRefRequired: caseRefRequired(name), scope };
    purposes.set(name, { definition, node: p.keyNode });
  }
  return purposes;
}

function readRules(
  read: PolicyReader,
  section: Entry,
  purposes: ReadonlyMap<string, ReadPurpose>,
  categories: ReadonlyMap<string, unknown>,
  masks: ReadonlyMap<string, Node>,
): RuleDefinition[] {
  const rules: RuleDefinition[] = [];
  for (const { key: purpose, keyNode, value } of read.entries(read.map(section.value, 'rules', section.keyNode), 'rules')) {
    if (!purposes.has(purpose)) read.fail(keyNode, `unknown purpose "${purpose}" in rules`);
    for (const cell of read.entries(read.map(value, `the rules of ${purpose}`, keyNode), `the rules of ${purpose}`)) {
      const category = cell.key;
      const rule = `${purpose}/${category}`;
      if (!categories.has(category)) read.fail(cell.keyNode, `unknown category "${category}" in rules of ${purpose}`);
      const text = isScalar(cell.value) && typeof cell.value.value === 'string' ? cell.value.value : null;
      const match = text === null ? null : RULE_VALUE.exec(text);
      if (!match) read.fail(cell.value ?? cell.keyNode, `rule ${rule} must be A, D or M:<MASK>`);
      const mask = match[1] ?? null;
      if (mask !== null && !masks.has(mask)) read.fail(cell.value, `unknown mask "${mask}" in rule ${rule}`);
      const decision: Decision = mask !== null ? 'MASK' : text === 'A' ? 'ALLOW' : 'DENY';
      rules.push(Object.freeze({ purpose, category, decision, mask, line: read.lineOf(cell.value) }));
    }
  }
  return rules;
}

function checkVocabulary(read: PolicyReader, kind: string, inFile: ReadonlyMap<string, Node>, compiled: readonly string[], sectionNode: Node): void {
  for (const [name, node] of inFile) {
    if (!compiled.includes(name)) read.fail(node, `${kind} "${name}" is not in the compiled vocabulary: ${REGENERATE}`);
  }
  for (const name of compiled) {
    if (!inFile.has(name)) read.fail(sectionNode, `${kind} "${name}" of the compiled vocabulary is missing: ${REGENERATE}`);
  }
}

/** Reads and validates a policy file; errors name the file relative to the working directory. */
export function loadPolicy(file: string, options?: ParseOptions): PolicyDocument {
  const shown = relative(process.cwd(), file);
  const name = shown.startsWith('..') || isAbsolute(shown) ? file : shown;
  return parsePolicy(readFileSync(file, 'utf8'), name, options);
}

/** The project's folder: the nearest ancestor with package.json and schema/policy.yaml (works from src/ and dist/src/). */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema', 'policy.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root (package.json with schema/policy.yaml) above ${from}`);
  }
}

/** The reviewed policy file, schema/policy.yaml of the project. */
export function defaultPolicyPath(): string {
  return join(projectRoot(), 'schema', 'policy.yaml');
}
