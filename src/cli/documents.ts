import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { ClientRegistry } from '../callers/registry';
import { loadCheckContext } from './check-context';
import { registerDocument } from '../onboarding/register-document';
import { renderCheck } from '../onboarding/render-check';
import { SHA256_HEX, TrustedDocuments } from '../onboarding/trusted-documents';
import { runCli, withStore } from './store';

export interface DocumentsCliDeps {
  withStore: <T>(fn: (ds: DataSource) => Promise<T>) => Promise<T>;
  out: (text: string) => void;
  policyFile?: string;
}

async function clientOf(ds: DataSource, id: string) {
  const client = await new ClientRegistry(ds, 0).get(id);
  if (!client) throw new Error(`no client "${id}"`);
  return client;
}

/**
 * `documents add|list|remove` (docs/api.md, "Trusted documents"): a client's trusted documents, each registered by
 * the SHA-256 of the file's text exactly as given (`sha256sum file.graphql` names it too).
 */
export function documentsProgram(deps: DocumentsCliDeps): Command {
  const { out } = deps;
  const program = new Command('documents').description('Register the documents a client may send (trusted documents), each with its policy check (docs/api.md, "Trusted documents")');

  program.command('add')
    .description('register a .graphql file for a client, after checking it against the policy; its id is sha256:<hex> of the file exactly as it is (sha256sum file.graphql), with no whitespace or comment normalisation')
    .requiredOption('--client <id>', 'client id')
    .option('--purpose <purpose>', 'check under this purpose where the document declares none (it will send X-Purpose)')
    .option('--force', 'register even with fields the client can never receive')
    .argument('<file>', 'the .graphql file')
    .action(async (file: string, o: { client: string; purpose?: string; force?: boolean }) => {
      const text = readFileSync(file, 'utf8');
      const ctx = loadCheckContext(deps.policyFile);
      await deps.withStore(async (ds) => {
        const client = await clientOf(ds, o.client);
        const { stored, check, forcedPast } = await registerDocument(new TrustedDocuments(ds, 0), ctx, client, text, { force: o.force, purpose: o.purpose });
        const names = stored.operationNames.map((n) => n ?? '(anonymous)').join(', ');
        out(`registered sha256:${stored.sha256} for ${client.id} (${names}), checked under policy ${check.policyVersion}\n`);
        if (forcedPast.length || check.errors.length) out(`warning: registered with --force although the check refuses it or denies ${forcedPast.length} field(s) for every subject\n`);
        if (!client.trustedDocumentsOnly) out(`note: ${client.id} may still send any document; restrict it with: npm run clients -- set --id ${client.id} --trusted-documents-only true\n`);
        out(renderCheck(check) + '\n');
      });
    });

  program.command('list')
    .description("list a client's documents with their stored checks")
    .requiredOption('--client <id>', 'client id')
    .option('--json', 'print JSON instead of text')
    .action(async (o: { client: string; json?: boolean }) => {
      const current = loadCheckContext(deps.policyFile).policy.version;
      await deps.withStore(async (ds) => {
        const client = await clientOf(ds, o.client);
        const docs = await new TrustedDocuments(ds, 0).list(client.id);
        if (o.json) return out(JSON.stringify(docs.map(({ sha256, operationNames, createdAt, check }) => ({ documentId: `sha256:${sha256}`, operationNames, createdAt, check })), null, 2) + '\n');
        out(`${client.id}: ${docs.length} document(s)${client.trustedDocumentsOnly ? ', trusted documents only' : ', may also send other documents'}\n`);
        for (const d of docs) {
          const stale = d.check.policyVersion !== current ? ` (the policy is now ${current}: add it again to refresh the check)` : '';
          out(`\nsha256:${d.sha256}  ${d.operationNames.map((n) => n ?? '(anonymous)').join(', ')}  registered ${d.createdAt.toISOString()}, checked under policy ${d.check.policyVersion}${stale}\n`);
          out(renderCheck(d.check) + '\n');
        }
      });
    });

  program.command('remove')
    .description("remove a client's document")
    .requiredOption('--client <id>', 'client id')
    .argument('<sha256>', 'the document id, with or without "sha256:"')
    .action(async (id: string, o: { client: string }) => {
      const sha256 = id.replace(/^sha256:/, '').toLowerCase();
      if (!SHA256_HEX.test(sha256)) throw new Error('a document id is 64 hex digits, optionally after "sha256:"');
      await deps.withStore(async (ds) => {
        if (!(await new TrustedDocuments(ds, 0).remove(o.client, sha256))) throw new Error(`client "${o.client}" has no document sha256:${sha256}`);
        out(`removed sha256:${sha256} from ${o.client}\n`);
      });
    });
  return program;
}

if (require.main === module) {
  runCli(async () => void (await documentsProgram({ withStore, out: (t) => process.stdout.write(t) }).parseAsync(process.argv)));
}
