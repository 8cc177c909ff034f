import type { FieldCheck, OperationCheck } from './check-operation';

/** `ALLOW`, `MASK PHONE`, `DENY PURPOSE_FORBIDS`. */
export function outcome(f: Pick<FieldCheck, 'decision' | 'mask' | 'reason'>): string {
  return f.decision === 'ALLOW' ? 'ALLOW' : f.decision === 'MASK' ? `MASK ${f.mask}` : `DENY ${f.reason}`;
}

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => (indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).trimEnd());
}

/** A check as plain text for the terminal: one block per operation, one row per field. */
export function renderCheck(check: OperationCheck, indent = '  '): string {
  const out: string[] = [];
  if (!check.valid) return check.errors.map((e) => `${indent}invalid: ${e}`).join('\n');
  for (const e of check.errors) out.push(`${indent}refused: ${e}`);
  for (const w of check.warnings) out.push(`${indent}warning: ${w}`);
  for (const op of check.operations) {
    out.push(`${indent}${op.type} ${op.name ?? '(anonymous)'}${op.purpose ? ` for purpose ${op.purpose}` : ''}`);
    const fields = check.fields.filter((f) => f.operation === op.name);
    if (!fields.length) {
      out.push(`${indent}  no personal field`);
      continue;
    }
    const rows = [['path', 'category', 'decision', 'unless / when']];
    for (const f of fields) {
      const notes = [
        f.conditions.length ? `denied if ${f.conditions.join(' or ')}` : '',
        f.includedIf.length ? `runs if ${f.includedIf.join(' or ')}` : '',
        f.when ? `on rows where ${f.when}` : '',
      ].filter(Boolean);
      rows.push([f.path, f.category, outcome(f), notes.join('; ')]);
    }
    out.push(...table(rows, indent + '  '));
  }
  return out.join('\n');
}
