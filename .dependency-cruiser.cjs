/**
 * dependency-cruiser: src/ has no import cycles, neither between files nor between folders.
 * `npm run lint:cycles` lists the offending imports; test/foundation/import-cycles.test.ts runs
 * the same configuration and also checks the graph of src/'s top-level folders.
 * Type-only imports (`import type`) compile away, so they do not count (tsPreCompilationDeps: false).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file reaches itself through its imports: move the shared piece into a lower layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment: 'Two folders of src/ import each other (possibly through others): the layering in README.md says which one may import the other.',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    // src's own graph: packages and the seeds outside src/ are left out.
    includeOnly: '^src/',
  },
};
