import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The audit's layout (src/audit/README.md): a store-neutral core plus one adapter per database
 * kind. The core imports no adapter (index.ts alone composes them), an adapter imports no other
 * adapter, and nothing in src/audit imports src/review (review follows the audit, not the reverse).
 */
const root = path.join(__dirname, '../../src/audit');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports (static imports, `import()` and `require` of relative paths), resolved against src/. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => path.relative(path.join(root, '..'), path.resolve(path.dirname(file), s)).split(path.sep).join('/'));
}

const area = (file: string) => {
  const rel = path.relative(root, file).split(path.sep);
  return rel.length > 1 ? rel[0] : 'core';
};

test('src/audit imports nothing from src/review', () => {
  const offenders = files(root).flatMap((f) => imports(f).filter((m) => m.startsWith('review')).map((m) => `${path.relative(root, f)} → ${m}`));
  expect(offenders).toEqual([]);
});

test('the core imports no adapter (but index.ts, which composes them), and no adapter imports another', () => {
  const offenders: string[] = [];
  for (const f of files(root)) {
    const from = area(f);
    for (const m of imports(f)) {
      const to = /^audit\/(sqlite|mysql)(\/|$)/.exec(m)?.[1];
      if (!to || to === from) continue;
      if (from === 'core' && path.basename(f) === 'index.ts') continue;
      offenders.push(`${path.relative(root, f)} → ${m}`);
    }
  }
  expect(offenders).toEqual([]);
});
