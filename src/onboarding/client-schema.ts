import { getDocumentNodeFromSchema, MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import { DefinitionNode, GraphQLSchema, Kind, print } from 'graphql';
import type { SensitiveField } from '../enforcement/sensitive-fields';
import { AUDIENCE } from '../enforcement/audience';
import type { ScopedEntity } from '../loaders/scope-sql';
import { CellDescription, CompiledPolicy, describeCell, Purpose, resolvePurpose, Scope, SCOPE_MEANING, scopeOf } from '../policy';

/** The client a schema is annotated for: its id names the `orders` channel, its providers the `provider` scope. */
export interface SchemaClient {
  readonly id: string;
  readonly providers: readonly string[];
  /** A reader's schema leaves out the auditors' fields (marked @AuditorOnly) and the types only they use. */
  readonly role?: 'reader' | 'auditor';
}

/** The schema as a reader sees it: no auditor-only root field, and no type that only such a field reached. */
export function readerSchema(schema: GraphQLSchema): GraphQLSchema {
  const forAuditors = (config: { extensions?: Record<string, unknown> | null }) => config.extensions?.[AUDIENCE] === 'auditor';
  return pruneSchema(mapSchema(schema, {
    [MapperKind.ROOT_FIELD]: (config) => (forAuditors(config as { extensions?: Record<string, unknown> | null }) ? null : config),
  }));
}

/** The object types whose rows the relationship scope filters (SPEC §11), each the entity of src/loaders/scope-sql.ts. */
const ROW_SCOPED_TYPES: ReadonlySet<string> = new Set<ScopedEntity>(['User', 'Order', 'PaymentAccount', 'Device']);

/** `ALLOW`, `MASK PHONE`, `DENY PURPOSE_FORBIDS`. */
function decisionText(cell: CellDescription): string {
  return cell.decision === 'ALLOW' ? 'ALLOW' : cell.decision === 'MASK' ? `MASK ${cell.mask}` : `DENY ${cell.reason}`;
}

/** The end-of-line comment of one categorised field for a purpose. */
export function fieldAnnotation(policy: CompiledPolicy, purpose: Purpose, field: SensitiveField): string {
  const cell = describeCell(policy, purpose, field.category);
  let text = `# ${decisionText(cell)}`;
  if (cell.conditions.includes('CONSENT_MISSING')) text += ' # needs consent';
  if (field.cardCategory) {
    const card = describeCell(policy, purpose, field.cardCategory);
    text += ` # BANK_CARD rows (${field.cardCategory}): ${decisionText(card)}${card.conditions.includes('CONSENT_MISSING') ? ', needs consent' : ''}`;
  }
  return text;
}

/** `# scope: provider (ALIPAY) — payment accounts of …`: whose rows of a type the purpose returns at all. */
export function scopeAnnotation(scope: Scope, client: SchemaClient): string {
  switch (scope) {
    case 'orders': return `# scope: orders (channel ${client.id}) — ${SCOPE_MEANING.orders}`;
    case 'provider': return `# scope: provider (${client.providers.length ? client.providers.join(', ') : 'no provider registered: no row'}) — ${SCOPE_MEANING.provider}`;
    case 'authorized': return `# scope: authorized (by users, for ${client.id}) — ${SCOPE_MEANING.authorized}`;
    case 'case': return `# scope: case — ${SCOPE_MEANING.case}; every request needs a registered case reference (@purpose(caseRef:) or X-Case-Ref)`;
    case 'all': return `# scope: all — ${SCOPE_MEANING.all}`;
  }
}

/** graphql-js's block indentation: two spaces before every line. */
function indent(text: string): string {
  return '  ' + text.replace(/\n/g, '\n  ');
}

function printDefinition(def: DefinitionNode, annotate: (typeName: string, fieldName: string) => string | null, typeNote: (typeName: string) => string | null): string {
  if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !def.fields?.length) return print(def);
  const lines = def.fields.map((field) => {
    const note = annotate(def.name.value, field.name.value);
    return indent(print(field)) + (note ? ` ${note}` : '');
  });
  // The type's own note is the first line of its body: the line after `type User {`, whatever its description.
  const note = typeNote(def.name.value);
  if (note) lines.unshift(indent(note));
  return `${print({ ...def, fields: [] })} {\n${lines.join('\n')}\n}`;
}

/**
 * The schema as one client sees it for one purpose (SPEC §10): the SDL printed from the
 * gateway's own schema, every categorised field followed by what the policy gives it, and
 * every row-scoped type opened by the purpose's relationship scope for this client (SPEC §11).
 */
export function clientSchemaSdl(schema: GraphQLSchema, fields: ReadonlyMap<string, SensitiveField>, policy: CompiledPolicy, client: SchemaClient, purpose: Purpose): string {
  const resolved = resolvePurpose(policy, purpose);
  const scope = scopeOf(policy, purpose);
  const header = [
    `# PurposeGate schema for client "${client.id}", purpose "${purpose}"${resolved.ok ? ` (basis ${resolved.basis})` : ''}, policy ${policy.version}.`,
    '# Each personal field ends with what this purpose receives: # ALLOW, # MASK <kind>, or # DENY <reason>.',
    '# "# needs consent": released only while the subject holds a consent to this purpose (for a minor under 14,',
    '# given by a guardian); otherwise denied with CONSENT_MISSING or GUARDIAN_CONSENT_MISSING.',
    '# Every personal field of a subject who asked to be erased is denied (SUBJECT_ERASED).',
    `# Relationship scope of this purpose: ${scope}. The "# scope:" line of User, Order, PaymentAccount and Device says whose rows are returned at all.`,
  ];
  if (scope !== 'all') {
    header.push('# A row out of scope is never returned, whatever its fields\' annotations say (OUT_OF_SCOPE): lists leave it out,',
      '# and asked for by id (user, order, device, order.user, order.paymentAccount) it is null with an OUT_OF_SCOPE error, as a missing id is.');
  }
  if (resolved.ok && resolved.caseRefRequired) header.push('# Requests under this purpose need a case reference: @purpose(caseRef:) or X-Case-Ref.');
  const annotate = (typeName: string, fieldName: string): string | null => {
    const field = fields.get(`${typeName}.${fieldName}`);
    return field ? fieldAnnotation(policy, purpose, field) : null;
  };
  const typeNote = (typeName: string): string | null => (ROW_SCOPED_TYPES.has(typeName) ? scopeAnnotation(scope, client) : null);
  const shown = client.role === 'auditor' ? schema : readerSchema(schema);
  const body = getDocumentNodeFromSchema(shown).definitions.map((d) => printDefinition(d, annotate, typeNote)).join('\n\n');
  return `${header.join('\n')}\n\n${body}\n`;
}

/** Per-client SDLs, kept per (client and its providers, purpose, policy version): a few dozen strings at most. */
export class ClientSchemaCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly limit = 1000) {}

  get(client: SchemaClient, purpose: Purpose, policyVersion: string, build: () => string): string {
    // The providers are part of the key: registering another one changes the `# scope:` lines.
    const key = `${client.id}\u0000${client.role ?? 'reader'}\u0000${client.providers.join(',')}\u0000${purpose}\u0000${policyVersion}`;
    let sdl = this.entries.get(key);
    if (sdl === undefined) {
      if (this.entries.size >= this.limit) this.entries.clear();
      sdl = build();
      this.entries.set(key, sdl);
    }
    return sdl;
  }
}
