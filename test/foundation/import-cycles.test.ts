import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * No import cycles in src/ (issue 22): none between files, and none between its top-level folders,
 * so that the layering in README.md holds (a folder imports only the layers below it). The graph is
 * dependency-cruiser's, with the repository's .dependency-cruiser.cjs (the one `npm run lint:cycles`
 * uses): type-only imports compile away, so they do not count. A file directly in src/ (app.ts,
 * clock.ts…) is a unit of its own. A fixture with real cycles shows the check finds them.
 */

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const RUNNER = path.join(__dirname, 'depcruise.mjs');

interface CruiseResult {
  modules: { source: string; dependencies: { resolved: string; circular: boolean; cycle?: { name: string }[] }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

/** dependency-cruiser's result for `folders` under `cwd`, with the repository's configuration. */
function cruise(cwd: string, folders: string[]): CruiseResult {
  return JSON.parse(execFileSync(process.execPath, [RUNNER, CONFIG, ...folders], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** The top-level folder of src/ a file is in, or the file itself when it sits directly in src/. */
function unitOf(file: string): string | null {
  return /^src\/([^/]+)/.exec(file)?.[1] ?? null;
}

interface FolderCycle {
  /** The folders that reach each other, sorted. */
  folders: string[];
  /** The imports between them that make the cycle, `from file → to file`, sorted. */
  imports: string[];
}

/** The strongly connected components of the top-level folder graph that hold more than one folder (Tarjan). */
function folderCycles(result: CruiseResult): FolderCycle[] {
  const imports = new Map<string, Map<string, string[]>>();
  for (const m of result.modules) {
    const from = unitOf(m.source);
    if (!from) continue;
    if (!imports.has(from)) imports.set(from, new Map());
    for (const d of m.dependencies) {
      const to = unitOf(d.resolved);
      if (!to || to === from) continue;
      if (!imports.has(to)) imports.set(to, new Map());
      const edges = imports.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${m.source} → ${d.resolved}`]);
    }
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of imports.get(v)!.keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of imports.keys()) if (!index.has(v)) visit(v);
  return components
    .filter((c) => c.length > 1)
    .map((c) => ({
      folders: [...c].sort(),
      imports: c.flatMap((from) => [...imports.get(from)!].filter(([to]) => c.includes(to)).flatMap(([, files]) => files)).sort(),
    }))
    .sort((a, b) => a.folders.join().localeCompare(b.folders.join()));
}

/** Each file cycle once, as `a → b → a`, starting from its smallest file. */
function fileCycles(result: CruiseResult): string[] {
  const cycles = new Set<string>();
  for (const m of result.modules) {
    for (const d of m.dependencies) {
      if (!d.circular || !d.cycle) continue;
      const ring = d.cycle.map((c) => c.name);
      const start = ring.indexOf([...ring].sort()[0]);
      const turned = [...ring.slice(start), ...ring.slice(0, start)];
      cycles.add([...turned, turned[0]].join(' → '));
    }
  }
  return [...cycles].sort();
}

/** What a failing check prints: each cycle and the imports that make it; '' when there is none. */
function describeCycles(result: CruiseResult): string {
  const folders = folderCycles(result).map((c) => `folders ${c.folders.join(' ⇄ ')} import each other:\n${c.imports.map((i) => `  ${i}`).join('\n')}`);
  const files = fileCycles(result).map((c) => `files import each other: ${c}`);
  return [...folders, ...files].join('\n');
}

describe('import cycles', () => {
  test('src/ has no cycle between its top-level folders, nor between files', () => {
    const result = cruise(ROOT, ['src']);
    // Not vacuous: the whole of src/ was read, with the imports between its folders.
    expect(result.modules.filter((m) => m.source.startsWith('src/')).length).toBeGreaterThan(150);
    expect(result.modules.some((m) => m.source === 'src/app.ts' && m.dependencies.some((d) => d.resolved.startsWith('src/graphql/')))).toBe(true);
    expect(describeCycles(result)).toBe('');
    // dependency-cruiser's own rules (`npm run lint:cycles`) agree.
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  describe('finds a real cycle (a fixture cruised with the same configuration)', () => {
    let dir: string;
    let result: CruiseResult;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'import-cycles-'));
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'ES2022', strict: true } }),
        // a → b → a through different files: a folder cycle without a file cycle.
        'src/a/x.ts': "import { y } from '../b/y';\nexport const x = () => y + 1;\n",
        'src/b/y.ts': "import { z } from '../a/z';\nexport const y = z * 2;\n",
        'src/a/z.ts': 'export const z = 1;\n',
        // Two files of one folder that import each other.
        'src/c/p.ts': "import { q } from './q';\nexport const p = () => q();\n",
        'src/c/q.ts': "import { p } from './p';\nexport const q = () => p;\n",
        // A type-only import compiles away: d ⇄ e is no cycle.
        'src/d/t.ts': "import type { U } from '../e/u';\nexport const t = (u: U) => u.n;\n",
        'src/e/u.ts': "import { t } from '../d/t';\nexport interface U { n: number }\nexport const u = t;\n",
      };
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      }
      result = cruise(dir, ['src']);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('the folder cycle, with the imports that make it', () => {
      expect(folderCycles(result)).toEqual([
        { folders: ['a', 'b'], imports: ['src/a/x.ts → src/b/y.ts', 'src/b/y.ts → src/a/z.ts'] },
      ]);
    });

    test('the file cycle', () => {
      expect(fileCycles(result)).toEqual(['src/c/p.ts → src/c/q.ts → src/c/p.ts']);
    });

    test('the report names both, and nothing for the type-only import', () => {
      expect(describeCycles(result)).toBe([
        'folders a ⇄ b import each other:',
        '  src/a/x.ts → src/b/y.ts',
        '  src/b/y.ts → src/a/z.ts',
        'files import each other: src/c/p.ts → src/c/q.ts → src/c/p.ts',
      ].join('\n'));
    });

    test("dependency-cruiser's own rules find them too", () => {
      const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
      expect(found).toEqual(expect.arrayContaining([
        'no-circular-folders: src/a → src/b',
        'no-circular-folders: src/b → src/a',
        // one violation per file cycle, from whichever file it was met first
        expect.stringMatching(/^no-circular: src\/c\/[pq]\.ts → src\/c\/[pq]\.ts$/),
      ]));
      expect(found.filter((v) => /src\/[de]\b/.test(v))).toEqual([]);
    });
  });
});
