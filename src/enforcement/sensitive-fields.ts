import { getDirective } from '@graphql-tools/utils';
import { GraphQLSchema, isObjectType } from 'graphql';
import type { Category, CompiledPolicy } from '../policy';

/** The category a field carries, and the one it carries instead on a bank-card row. */
export interface SensitiveField {
  readonly typeName: string;
  readonly fieldName: string;
  readonly category: Category;
  readonly cardCategory: Category | null;
}

/** Every `@sensitive` field of the schema, keyed "Type.field". */
export function sensitiveFields(schema: GraphQLSchema): Map<string, SensitiveField> {
  const out = new Map<string, SensitiveField>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const [d] = getDirective(schema, field, 'sensitive') ?? [];
      if (!d) continue;
      out.set(`${type.name}.${field.name}`, {
        typeName: type.name,
        fieldName: field.name,
        category: d.category as Category,
        cardCategory: (d.cardCategory as Category | undefined) ?? null,
      });
    }
  }
  return out;
}

export class SchemaPolicyMismatch extends Error {}

/** Refuse to start when the schema uses a category the policy does not know (it would be undecidable). */
export function checkSchemaAgainstPolicy(fields: Map<string, SensitiveField>, policy: CompiledPolicy): void {
  const known = new Set<string>(policy.categories);
  for (const f of fields.values()) {
    for (const c of [f.category, f.cardCategory]) {
      if (c !== null && !known.has(c)) {
        throw new SchemaPolicyMismatch(`${f.typeName}.${f.fieldName} carries category "${c}", which the policy does not define`);
      }
    }
  }
  // A retention period that no field of its entity carries would never be enforced: refuse it.
  for (const rule of Object.values(policy.retention)) {
    if (!rule) continue;
    const applies = [...fields.values()].some((f) => f.typeName === rule.entity && f.category === rule.category);
    if (!applies) {
      throw new SchemaPolicyMismatch(`the retention of ${rule.category} runs from ${rule.entity}.${rule.field}, but no ${rule.entity} field carries ${rule.category}: it would never apply`);
    }
  }
}
