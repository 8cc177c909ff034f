import 'reflect-metadata';
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { createAudit } from '../audit';
import { ConfigError, loadConfig } from '../config';
import { enforceSchema } from '../enforcement/enforce-schema';
import { checkSchemaAgainstPolicy, sensitiveFields } from '../enforcement/sensitive-fields';
import { rowId } from '../request/context';
import { buildGatewaySchema } from '../graphql/schema';
import { PolicyVersionChangedError, recordPolicyVersion } from '../db/entities/PolicyVersion';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../policy';
import { AccessCopyError, buildAccessCopy, copyClient, copyCounts, DEFAULT_COPY_CLIENT, describeCounts } from '../rights/access-copy';
import { RightsError } from '../rights/errors';
import { resolverServices } from '../services';
import { runCli, withStore } from './store';

/**
 * `npm run subject:copy -- --request <id> --out <file> [--client <id>]`: the portable copy of an
 * ACCESS request's subject (docs/access-copy.md), read as `--client` (default account-service)
 * under `account` and audited like any request, written as pretty JSON (mode 0600). Prints one
 * line of counts, never a value. On any error: `error [CODE]: message`, exit 1, no file.
 */
/** A file the copy cannot be written to: said before the subject is read. */
class OutputError extends Error {
  readonly code = 'BAD_OUTPUT';
}

function openOutput(partial: string, shown: string): number {
  try {
    return openSync(partial, 'wx', 0o600);
  } catch (e) {
    throw new OutputError(`cannot write ${JSON.stringify(shown)} (${(e as { code?: string })?.code ?? 'unknown error'})`);
  }
}

const program = new Command('subject:copy')
  .description("Write the portable copy of an ACCESS request's subject (every field as `account` reads it, audited)")
  .requiredOption('--request <id>', 'the ACCESS subject request')
  .requiredOption('--out <file>', 'where to write the JSON copy')
  .option('--client <id>', 'the client the copy is read as (must declare "account")', DEFAULT_COPY_CLIENT)
  .action(async (o: { request: string; out: string; client: string }) => {
    // The gateway's own configuration: the same policy file and pseudonym secret as it serves with.
    const config = loadConfig(process.env);
    const policy = compilePolicy(loadPolicy(config.policyFile ?? defaultPolicyPath()));
    const schema = buildGatewaySchema();
    const fields = sensitiveFields(schema);
    checkSchemaAgainstPolicy(fields, policy);
    const enforcedSchema = enforceSchema(schema, { policy, pseudonymSecret: config.pseudonymSecret });
    const out = path.resolve(o.out);
    // Written beside the target and renamed into place: a failure leaves no file, not half of one.
    const partial = `${out}.${process.pid}.partial`;
    const fd = openOutput(partial, o.out); // fails now, before anything is read, if the directory is not writable
    let done = false;
    try {
      await withStore(async (ds) => {
        // Its audit records carry the policy's version: the store's ledger must know it, as for a gateway.
        await recordPolicyVersion(ds, policy, config.policyFile ?? defaultPolicyPath());
        const audit = createAudit(ds);
        try {
          const caller = await copyClient(ds, policy, o.client);
          const copy = await buildAccessCopy({ ds, services: resolverServices(ds, { schema, fields, policy }, audit), policy, enforcedSchema, commit: (d) => audit.commit(d) }, { requestId: rowId(o.request), rawRequestId: o.request }, caller);
          writeSync(fd, JSON.stringify(copy, null, 2) + '\n');
          closeSync(fd);
          renameSync(partial, out);
          done = true;
          process.stdout.write(`copy of request ${copy.request.id} (user ${copy.request.userId}) written to ${o.out}: ${describeCounts(copyCounts(copy))}; audit request ${copy.audit.requestId}\n`);
        } finally {
          await audit.close();
        }
      });
    } finally {
      if (!done) {
        try { closeSync(fd); } catch { /* already closed */ }
        try { unlinkSync(partial); } catch { /* already gone */ }
      }
    }
  });

runCli(async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    const code = e instanceof RightsError || e instanceof AccessCopyError || e instanceof OutputError || e instanceof PolicyVersionChangedError ? e.code : e instanceof ConfigError ? 'CONFIG' : 'INTERNAL';
    process.stderr.write(`error [${code}]: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  }
});
