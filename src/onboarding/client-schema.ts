import { getDocumentNodeFromSchema } from '@graphql-tools/utils';
import { DefinitionNode, GraphQLSchema, Kind, print } from 'graphql';
import type { SensitiveField } from '../enforcement/sensitive-fields';
import { CellDescription, CompiledPolicy, describeCell, Purpose, resolvePurpose } from '../policy';

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

/** graphql-js's block indentation: two spaces before every line. */
function indent(text: string): string {
  return '  ' + text.replace(/\n/g, '\n  ');
}

function printDefinition(def: DefinitionNode, annotate: (typeName: string, fieldName: string) => string | null): string {
  if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !def.fields?.length) return print(def);
  const lines = def.fields.map((field) => {
    const note = annotate(def.name.value, field.name.value);
    return indent(print(field)) + (note ? ` ${note}` : '');
  });
  return `${print({ ...def, fields: [] })} {\n${lines.join('\n')}\n}`;
}

/**
 * The schema as one client sees it for one purpose (SPEC §10): the SDL printed from the
 * gateway's own schema, every categorised field followed by what the policy gives it.
 */
export function clientSchemaSdl(schema: GraphQLSchema, fields: ReadonlyMap<string, SensitiveField>, policy: CompiledPolicy, clientId: string, purpose: Purpose): string {
  const resolved = resolvePurpose(policy, purpose);
  const header = [
    `# PurposeGate schema for client "${clientId}", purpose "${purpose}"${resolved.ok ? ` (basis ${resolved.basis})` : ''}, policy ${policy.version}.`,
    '# Each personal field ends with what this purpose receives: # ALLOW, # MASK <kind>, or # DENY <reason>.',
    '# "# needs consent": released only while the subject holds a consent to this purpose (for a minor under 14,',
    '# given by a guardian); otherwise denied with CONSENT_MISSING or GUARDIAN_CONSENT_MISSING.',
    '# Every personal field of a subject who asked to be erased is denied (SUBJECT_ERASED).',
  ];
  if (resolved.ok && resolved.caseRefRequired) header.push('# Requests under this purpose need a case reference: @purpose(caseRef:) or X-Case-Ref.');
  const annotate = (typeName: string, fieldName: string): string | null => {
    const field = fields.get(`${typeName}.${fieldName}`);
    return field ? fieldAnnotation(policy, purpose, field) : null;
  };
  const body = getDocumentNodeFromSchema(schema).definitions.map((d) => printDefinition(d, annotate)).join('\n\n');
  return `${header.join('\n')}\n\n${body}\n`;
}

/** Per-client SDLs, kept per (client, purpose, policy version): a few dozen strings at most. */
export class ClientSchemaCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly limit = 1000) {}

  get(clientId: string, purpose: Purpose, policyVersion: string, build: () => string): string {
    const key = `${clientId}\u0000${purpose}\u0000${policyVersion}`;
    let sdl = this.entries.get(key);
    if (sdl === undefined) {
      if (this.entries.size >= this.limit) this.entries.clear();
      sdl = build();
      this.entries.set(key, sdl);
    }
    return sdl;
  }
}
