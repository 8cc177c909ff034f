import 'reflect-metadata';
import { now } from '../clock';
import { loadConfig, startFailure } from '../config';
import { openStore } from '../db/data-source';
import { DEMO_CLIENTS, loadDemoData } from '../../seeds/demo';

/**
 * `npm start`'s first step (the `prestart` script), before the server: on the embedded SQLite
 * default only, create and migrate the store, load the demo data where it is missing (idempotent:
 * a second start loads nothing) and print the demo keys. With DATABASE_URL it does nothing: demo
 * keys must never reach a production database. A configuration error is reported as the server
 * would report it (`PurposeGate: …`, exit 1), and the server is not started.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.databaseUrl) return;
  const ds = await openStore({ databaseUrl: undefined, sqliteFile: config.sqliteFile });
  try {
    // Dated as of today: retention and the legal case's expiry treat the demo as on the day it was written for.
    const seeded = await loadDemoData(ds, { asOf: now() });
    process.stdout.write(`${seeded ? 'Loaded' : 'Using'} the demo data. Demo keys (Authorization: Bearer <key>):\n`);
    for (const c of DEMO_CLIENTS) process.stdout.write(`  ${c.id.padEnd(18)} ${c.key.padEnd(20)} ${c.purposes.join(', ')}\n`);
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`PurposeGate: ${startFailure(e)}\n`);
  process.exitCode = 1;
});
