import 'reflect-metadata';
import { startGateway } from './app';
import { ConfigError, loadConfig } from './config';
import { openStore } from './db/data-source';
import { log } from './log';
import { DEMO_CLIENTS, loadDemoData } from '../seeds/demo';

/** Boot: config → database → schema → HTTP; nothing else. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ds = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  // Demo keys must never reach a production database: only the embedded default seeds itself.
  const seeded = !config.databaseUrl && (await loadDemoData(ds));
  const gateway = await startGateway(config, { ds });
  log.info({ url: `${gateway.url}/graphql`, store: config.databaseUrl ? 'mysql' : config.sqliteFile }, 'PurposeGate listening');
  process.stdout.write(`\nPurposeGate is serving ${gateway.url}/graphql (store: ${config.databaseUrl ? 'MySQL/MariaDB' : config.sqliteFile})\n`);
  process.stdout.write(`Review console: ${gateway.url}/console (sign in with an auditor key)\n`);
  if (!config.databaseUrl) {
    process.stdout.write(`${seeded ? 'Loaded' : 'Using'} the demo data. Demo keys (Authorization: Bearer <key>):\n`);
    for (const c of DEMO_CLIENTS) process.stdout.write(`  ${c.id.padEnd(18)} ${c.key.padEnd(20)} ${c.purposes.join(', ')}\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await gateway.close();
    await ds.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  const message = e instanceof ConfigError || (e as Error)?.name === 'PolicyValidationError' ? (e as Error).message : `start failed: ${(e as Error)?.message ?? e}`;
  process.stderr.write(`PurposeGate: ${message}\n`);
  process.exit(1);
});
