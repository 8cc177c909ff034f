/* Once per cluster run: the cluster must be there (fail, never skip), and dist/ must be the tree's (the gateways run as processes). */
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  if (!process.env.GALERA_URLS || process.env.GALERA_URLS.split(',').length !== 3) {
    throw new Error('test/cluster needs the three-node Galera cluster: run it as `.ci/with-galera npx jest -c jest.cluster.config.js` (GALERA_URLS is not set)');
  }
  const root = path.join(__dirname, '..', '..');
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe', timeout: 240000 });
  } catch (e) {
    // tsc emits despite type errors (the CI type-check step reports those); only a missing build stops the suite.
    if (!existsSync(path.join(root, 'dist', 'src', 'server.js'))) throw new Error(`npm run build failed:\n${e.stdout ? e.stdout.toString() : e}`);
    process.stderr.write(`\n(test/cluster: tsc reported errors, using the emitted build)\n${e.stdout ? e.stdout.toString().slice(0, 2000) : ''}\n`);
  }
};
