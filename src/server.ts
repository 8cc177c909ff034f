import 'reflect-metadata';
import { startGateway } from './app';
import { loadConfig, startFailure } from './config';
import { openStore } from './db/data-source';
import { log } from './log';

/** Boot: config → database → schema → HTTP; nothing else (the demo data is `npm start`'s first step, src/cli/first-run.ts). */
async function main(): Promise<void> {
  const config = loadConfig();
  const ds = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  const gateway = await startGateway(config, { ds });
  log.info({ url: `${gateway.url}/graphql`, store: config.databaseUrl ? 'mysql' : config.sqliteFile }, 'PurposeGate listening');
  process.stdout.write(`\nPurposeGate is serving ${gateway.url}/graphql (store: ${config.databaseUrl ? 'MySQL/MariaDB' : config.sqliteFile})\n`);
  process.stdout.write(`Review console: ${gateway.url}/console (sign in with an auditor key)\n`);
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
  process.stderr.write(`PurposeGate: ${startFailure(e)}\n`);
  process.exit(1);
});
