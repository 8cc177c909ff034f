import { Command, InvalidArgumentError } from 'commander';
import { ClientRegistry } from '../callers/registry';
import type { ClientKind, ClientRole } from '../db/entities/Client';
import { compilePolicy, defaultPolicyPath, isRegistrablePurpose, loadPolicy } from '../policy';
import { runCli, withStore } from './store';

const KINDS: ClientKind[] = ['internal', 'partner', 'third-party'];
const ROLES: ClientRole[] = ['reader', 'auditor'];

function oneOf<T extends string>(values: T[]) {
  return (v: string): T => {
    if (!values.includes(v as T)) throw new InvalidArgumentError(`one of ${values.join(', ')}`);
    return v as T;
  };
}

/** Registered purposes must exist in the policy (a parent such as `legal` covers its children). */
function checkPurposes(purposes: string[]): string[] {
  const policy = compilePolicy(loadPolicy(process.env.POLICY_FILE || defaultPolicyPath()));
  for (const p of purposes) {
    if (!isRegistrablePurpose(policy, p)) throw new Error(`unknown purpose "${p}"`);
  }
  return purposes;
}

const program = new Command('clients').description('Manage the client registry (keys are shown once and stored only as hashes)');

program.command('create')
  .requiredOption('--id <id>', 'client id, e.g. pay-wechat')
  .requiredOption('--purposes <list>', 'comma-separated purposes it may declare', (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--name <name>', 'display name')
  .option('--kind <kind>', KINDS.join(' | '), oneOf(KINDS), 'partner' as ClientKind)
  .option('--role <role>', ROLES.join(' | '), oneOf(ROLES), 'reader' as ClientRole)
  .option('--trusted-documents-only', 'accept only registered documents from this client')
  .option('--rate <n>', 'requests per second (token bucket)', (v) => Number(v))
  .action(async (o: { id: string; purposes: string[]; name?: string; kind: ClientKind; role: ClientRole; trustedDocumentsOnly?: boolean; rate?: number }) => {
    checkPurposes(o.purposes);
    await withStore(async (ds) => {
      const { key } = await new ClientRegistry(ds, 0).create({ id: o.id, displayName: o.name, kind: o.kind, role: o.role, purposes: o.purposes, trustedDocumentsOnly: !!o.trustedDocumentsOnly, rateLimitPerSecond: o.rate ?? null });
      process.stdout.write(`created client ${o.id} (${o.kind}, ${o.role}) for ${o.purposes.join(', ')}\n`);
      process.stdout.write(`key (shown once, store it now): ${key}\n`);
    });
  });

program.command('list').action(async () => {
  await withStore(async (ds) => {
    for (const c of await new ClientRegistry(ds, 0).list()) {
      process.stdout.write(`${c.id.padEnd(20)} ${c.kind.padEnd(12)} ${c.role.padEnd(8)} ${c.purposes.join(',')}${c.trustedDocumentsOnly ? ' [trusted-documents-only]' : ''}\n`);
    }
  });
});

program.command('rotate-key').requiredOption('--id <id>').action(async (o: { id: string }) => {
  await withStore(async (ds) => process.stdout.write(`new key for ${o.id} (shown once): ${await new ClientRegistry(ds, 0).addKey(o.id)}\n`));
});

program.command('revoke-keys').requiredOption('--id <id>').action(async (o: { id: string }) => {
  await withStore(async (ds) => process.stdout.write(`revoked ${await new ClientRegistry(ds, 0).revokeKeys(o.id)} key(s) of ${o.id}\n`));
});

program.command('set').requiredOption('--id <id>')
  .option('--trusted-documents-only <bool>', 'true | false', (v) => v === 'true')
  .option('--rate <n>', 'requests per second', (v) => Number(v))
  .action(async (o: { id: string; trustedDocumentsOnly?: boolean; rate?: number }) => {
    await withStore(async (ds) => {
      const c = await new ClientRegistry(ds, 0).update(o.id, {
        ...(o.trustedDocumentsOnly !== undefined ? { trustedDocumentsOnly: o.trustedDocumentsOnly } : {}),
        ...(o.rate !== undefined ? { rateLimitPerSecond: o.rate } : {}),
      });
      process.stdout.write(`${c.id}: trusted-documents-only=${c.trustedDocumentsOnly} rate=${c.rateLimitPerSecond ?? 'default'}\n`);
    });
  });

runCli(async () => void (await program.parseAsync(process.argv)));
