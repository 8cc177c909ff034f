import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, parse, validate } from 'graphql';

/**
 * The console's API types are generated from schema/schema.graphql at build time
 * (src/console/codegen.mjs, run by `npm run build:console`): each document of
 * src/console/operations.graphql gets its answer and variable types and its text, and a
 * document that does not match the schema fails the build.
 */
const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'src', 'console', 'codegen.mjs');
const OPERATIONS = path.join(ROOT, 'src', 'console', 'operations.graphql');
const run = promisify(execFile);

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'purposegate-console-codegen-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every operation gets its types and its text; the texts are valid against the schema', async () => {
  const out = path.join(dir, 'api.ts');
  await run(process.execPath, [SCRIPT, '--out', out], { cwd: ROOT });
  const generated = readFileSync(out, 'utf8');
  const operations = parse(readFileSync(OPERATIONS, 'utf8')).definitions.flatMap((d) => (d.kind === 'OperationDefinition' ? [d] : []));
  expect(operations.length).toBeGreaterThanOrEqual(10);
  const schema = buildSchema(readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8'));
  for (const op of operations) {
    const type = `${op.name!.value}${op.operation === 'query' ? 'Query' : 'Mutation'}`;
    expect(generated).toContain(`export type ${type} = `);
    expect(generated).toContain(`export type ${type}Variables = `);
    const text = new RegExp(`export const ${op.name!.value}Document = ("(?:[^"\\\\]|\\\\.)*") as Operation<${type}, ${type}Variables>;`).exec(generated);
    expect([op.name!.value, !!text]).toEqual([op.name!.value, true]);
    expect(validate(schema, parse(JSON.parse(text![1]) as string))).toEqual([]);
  }
  // Enums as the API spells them, and a nullable field as `T | null`, not optional.
  expect(generated).toMatch(/export type AuditDecision =\s+\| 'ALLOW'\s+\| 'MASK'\s+\| 'DENY';/);
  expect(generated).toMatch(/export type ConsoleAuditEventFragment = \{[^}]*caseRef: string \| null,/);
});

test('a document that does not match the schema fails with GraphQL\'s message, and writes nothing', async () => {
  const bad = path.join(dir, 'bad.graphql');
  writeFileSync(bad, readFileSync(OPERATIONS, 'utf8').replace('displayName kind role', 'displayNam kind role'));
  const out = path.join(dir, 'bad.ts');
  const failed = await run(process.execPath, [SCRIPT, '--operations', bad, '--out', out], { cwd: ROOT }).then(() => null, (e: { code: number; stderr: string }) => e);
  expect(failed?.code).toBe(1);
  expect(failed?.stderr).toContain('Cannot query field "displayNam" on type "ConsoleClient"');
  expect(() => readFileSync(out)).toThrow();
});
