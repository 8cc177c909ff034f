import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * What users read cites no section of a specification they do not have (issue 22): the SDL
 * partners read (every description), and every command's help, subcommands included. Code
 * comments may. The commands run built (`npm run build` after editing src/).
 */
const ROOT = path.join(__dirname, '..', '..');
const CITATION = /\bSPEC\b/;
const run = promisify(execFile);

test('schema/schema.graphql: no description cites SPEC', () => {
  const sdl = readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8');
  expect(sdl.split('\n').filter((l) => CITATION.test(l))).toEqual([]);
});

const COMMANDS: [string, string[]][] = [
  ['cases', ['open', 'close', 'list']],
  ['clients', ['create', 'list', 'rotate-key', 'revoke-keys', 'update']],
  ['policy-diff', []],
  ['retention-sweep', []],
  ['subject-copy', []],
  ['documents', ['add', 'list', 'remove']],
];

test.each(COMMANDS)('%s --help, and each subcommand\'s, cites no SPEC section', async (name, subcommands) => {
  const env = { ...process.env, NODE_ENV: 'test', DATA_DIR: path.join(tmpdir(), 'purposegate-help-never-opened') };
  const script = path.join(ROOT, 'dist', 'src', 'cli', `${name}.js`);
  for (const args of [['--help'], ...subcommands.map((s) => [s, '--help'])]) {
    const { stdout } = await run(process.execPath, [script, ...args], { env, cwd: ROOT });
    expect(stdout).toMatch(/^Usage: /);
    expect([args.join(' '), stdout.split('\n').filter((l) => CITATION.test(l))]).toEqual([args.join(' '), []]);
  }
});
