import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printGatewaySchema } from '../graphql/schema';
import { defaultPolicyPath } from '../policy';

/** Write the emitted SDL to schema/schema.graphql (a test fails when it is stale). */
const file = path.join(path.dirname(defaultPolicyPath()), 'schema.graphql');
writeFileSync(file, printGatewaySchema());
process.stdout.write(`wrote ${file}\n`);
