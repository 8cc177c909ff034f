/**
 * Jest for the Galera cluster suite only (test/cluster/*.cluster.ts), run under .ci/with-galera:
 *   .ci/with-galera npx jest -c jest.cluster.config.js --runInBand
 * The default config (jest.config.js) matches `*.test.ts` and so never picks these files up; run
 * outside .ci/with-galera (no GALERA_URLS), this config's global setup fails — never a skip.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.cluster.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/cluster/global-setup.js',
  testTimeout: 180000,
  maxWorkers: 1,
  // A connection left open by a failed test must not hold the CI step until its timeout.
  forceExit: true,
};
