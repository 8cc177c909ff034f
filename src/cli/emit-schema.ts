import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { printGatewaySchema } from '../graphql/schema';
import { defaultPolicyPath } from '../policy';

/** Write the emitted SDL to schema/schema.graphql (a test fails when it is stale). */
const program = new Command('schema:emit')
  .description('Write the GraphQL schema the code defines (with its @sensitive categories) to schema/schema.graphql; run it after `npm run build` whenever a type or resolver changes (docs/api.md describes the schema)')
  .action(() => {
    const file = path.join(path.dirname(defaultPolicyPath()), 'schema.graphql');
    writeFileSync(file, printGatewaySchema());
    process.stdout.write(`wrote ${file}\n`);
  });

try {
  program.parse(process.argv);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
