/**
 * Generates src/policy/vocabulary.ts from schema/policy.yaml, so that the names code
 * may use (purposes, categories, masks, legal bases) are exact string unions.
 * Usage: node dist/src/cli/policy-types.js [policy.yaml] [vocabulary.ts]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { defaultPolicyPath, loadPolicy, projectRoot } from '../policy/load';
import type { PolicyDocument } from '../policy/load';

function constList(doc: string, name: string, typeName: string, values: readonly string[]): string {
  // Names are validated by the loader to a quote-free alphabet, so plain quoting is safe.
  const items = values.map((value) => `  '${value}',\n`).join('');
  return `/** ${doc} */\nexport const ${name} = [\n${items}] as const;\nexport type ${typeName} = (typeof ${name})[number];\n`;
}

/** The TypeScript source of vocabulary.ts for a policy document. */
export function renderVocabulary(doc: PolicyDocument): string {
  return [
    '// GENERATED from schema/policy.yaml by src/cli/policy-types.ts: do not edit.\n' +
      '// After changing names in the policy, run `node dist/src/cli/policy-types.js`; a test fails while this file is stale.\n',
    constList(
      'Purposes a request can declare: the declarable nodes of the purpose tree.',
      'PURPOSES',
      'Purpose',
      doc.purposes.filter((p) => p.declarable).map((p) => p.name),
    ),
    constList('Categories of personal data that a field can carry.', 'CATEGORIES', 'Category', doc.categories.map((c) => c.name)),
    constList('Masks a rule can apply (src/policy/masks).', 'MASK_KINDS', 'MaskKind', doc.masks),
    constList('Legal bases of processing.', 'LEGAL_BASES', 'LegalBasis', doc.bases),
  ].join('\n');
}

/** Writes vocabulary.ts; the file is parsed without the vocabulary check, since it defines the vocabulary. */
export function main(args: readonly string[] = process.argv.slice(2)): void {
  const policyFile = args[0] ?? defaultPolicyPath();
  const outFile = args[1] ?? join(projectRoot(), 'src', 'policy', 'vocabulary.ts');
  const doc = loadPolicy(policyFile, { checkVocabulary: false });
  writeFileSync(outFile, renderVocabulary(doc));
  process.stdout.write(`wrote ${outFile} from ${doc.file} (policy ${doc.version})\n`);
}

if (require.main === module) {
  new Command('policy:types')
    .description('Regenerate src/policy/vocabulary.ts (the Purpose, Category, MaskKind and LegalBasis unions) from the policy file; run it after adding or renaming a purpose, category, mask or legal basis, then rebuild')
    .argument('[policy]', 'the policy file (default: schema/policy.yaml)')
    .argument('[out]', 'the TypeScript file to write (default: src/policy/vocabulary.ts)')
    .action((policyFile?: string, outFile?: string) => {
      try {
        main([policyFile, outFile].filter((a): a is string => !!a));
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    })
    .parse(process.argv);
}
