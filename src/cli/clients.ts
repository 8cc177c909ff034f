import { Command, InvalidArgumentError } from 'commander';
import { checkProviders, ClientRegistry, ClientRegistryError } from '../callers/registry';
import type { ClientKind, ClientRole } from '../db/entities/Client';
import { compilePolicy, CompiledPolicy, defaultPolicyPath, isRegistrablePurpose, loadPolicy, PAYMENT_PROVIDERS, registeredScopes } from '../policy';
import { runCli, withStore } from './store';

const KINDS: ClientKind[] = ['internal', 'partner', 'third-party'];
const ROLES: ClientRole[] = ['reader', 'auditor'];

function oneOf<T extends string>(values: T[]) {
  return (v: string): T => {
    if (!values.includes(v as T)) throw new InvalidArgumentError(`one of ${values.join(', ')}`);
    return v as T;
  };
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function policy(): CompiledPolicy {
  return compilePolicy(loadPolicy(process.env.POLICY_FILE || defaultPolicyPath()));
}

/** Registered purposes must exist in the policy (a parent such as `legal` covers its children). */
function checkPurposes(compiled: CompiledPolicy, purposes: string[]): string[] {
  for (const p of purposes) {
    if (!isRegistrablePurpose(compiled, p)) throw new Error(`unknown purpose "${p}"`);
  }
  return purposes;
}

/**
 * A client registered for a purpose whose scope is `provider` (SPEC §11) sees payment data only of
 * its registered providers: without any it sees none, which is worth saying when it is registered.
 */
function providerNote(compiled: CompiledPolicy, id: string, purposes: readonly string[], providers: readonly string[]): string {
  const needs = registeredScopes(compiled, purposes).includes('provider');
  if (needs && !providers.length) return `note: ${id} declares a purpose whose scope is "provider" but has no --providers: it will see no payment account, order or user through it\n`;
  if (!needs && providers.length) return `note: ${id} declares no purpose whose scope is "provider": its providers change nothing until it does\n`;
  return '';
}

const shownProviders = (providers: readonly string[]) => (providers.length ? providers.join(',') : 'none');

const program = new Command('clients').description('Manage the client registry (keys are shown once and stored only as hashes)');

program.command('create')
  .requiredOption('--id <id>', 'client id, e.g. pay-wechat')
  .requiredOption('--purposes <list>', 'comma-separated purposes it may declare', (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--name <name>', 'display name')
  .option('--kind <kind>', KINDS.join(' | '), oneOf(KINDS), 'partner' as ClientKind)
  .option('--role <role>', ROLES.join(' | '), oneOf(ROLES), 'reader' as ClientRole)
  .option('--trusted-documents-only', 'accept only registered documents from this client')
  .option('--rate <n>', 'requests per second (token bucket)', (v) => Number(v))
  .option('--providers <list>', `comma-separated payment providers it integrates (${PAYMENT_PROVIDERS.join(', ')}): what its "provider"-scope purposes may see`, list)
  .description('Register a client and print its first key, once')
  .action(async (o: { id: string; purposes: string[]; name?: string; kind: ClientKind; role: ClientRole; trustedDocumentsOnly?: boolean; rate?: number; providers?: string[] }) => {
    const compiled = policy();
    checkPurposes(compiled, o.purposes);
    const providers = checkProviders(o.providers ?? []); // before the store is opened: nothing is written
    await withStore(async (ds) => {
      const { key } = await new ClientRegistry(ds, 0).create({ id: o.id, displayName: o.name, kind: o.kind, role: o.role, purposes: o.purposes, providers, trustedDocumentsOnly: !!o.trustedDocumentsOnly, rateLimitPerSecond: o.rate ?? null });
      // The key first: `… | head -1` (or a reader that goes away) must still get it.
      process.stdout.write(`key (shown once, store it now): ${key}\n`);
      process.stdout.write(`created client ${o.id} (${o.kind}, ${o.role}) for ${o.purposes.join(', ')}${providers.length ? `, providers ${providers.join(', ')}` : ''}\n`);
      process.stdout.write(providerNote(compiled, o.id, o.purposes, providers));
    });
  });

program.command('list').description('List the registered clients with their purposes and payment providers (never a key)').action(async () => {
  await withStore(async (ds) => {
    for (const c of await new ClientRegistry(ds, 0).list()) {
      const flags = [c.providers.length ? `[providers: ${c.providers.join(',')}]` : '', c.trustedDocumentsOnly ? '[trusted-documents-only]' : ''].filter(Boolean);
      process.stdout.write(`${c.id.padEnd(20)} ${c.kind.padEnd(12)} ${c.role.padEnd(8)} ${c.purposes.join(',')}${flags.map((f) => ` ${f}`).join('')}\n`);
    }
  });
});

program.command('rotate-key').description('Issue another key for a client (shown once); the old ones stay valid until revoked').requiredOption('--id <id>').action(async (o: { id: string }) => {
  await withStore(async (ds) => process.stdout.write(`new key for ${o.id} (shown once): ${await new ClientRegistry(ds, 0).addKey(o.id)}\n`));
});

program.command('revoke-keys').description('Revoke every key of a client').requiredOption('--id <id>').action(async (o: { id: string }) => {
  await withStore(async (ds) => process.stdout.write(`revoked ${await new ClientRegistry(ds, 0).revokeKeys(o.id)} key(s) of ${o.id}\n`));
});

program.command('update').alias('set').description('Change a client\'s registration: trusted documents only, rate, payment providers')
  .requiredOption('--id <id>')
  .option('--trusted-documents-only <bool>', 'true | false', (v) => v === 'true')
  .option('--rate <n>', 'requests per second', (v) => Number(v))
  .option('--providers <list>', `comma-separated payment providers (${PAYMENT_PROVIDERS.join(', ')}), replacing the registered ones; "" for none`, list)
  .action(async (o: { id: string; trustedDocumentsOnly?: boolean; rate?: number; providers?: string[] }) => {
    const providers = o.providers === undefined ? undefined : checkProviders(o.providers); // before the store is opened
    await withStore(async (ds) => {
      const c = await new ClientRegistry(ds, 0).update(o.id, {
        ...(o.trustedDocumentsOnly !== undefined ? { trustedDocumentsOnly: o.trustedDocumentsOnly } : {}),
        ...(o.rate !== undefined ? { rateLimitPerSecond: o.rate } : {}),
        ...(providers !== undefined ? { providers } : {}),
      });
      process.stdout.write(`${c.id}: trusted-documents-only=${c.trustedDocumentsOnly} rate=${c.rateLimitPerSecond ?? 'default'} providers=${shownProviders(c.providers)}\n`);
      if (providers !== undefined) process.stdout.write(providerNote(policy(), c.id, c.purposes, c.providers));
    });
  });

runCli(async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    // A registration refused for a stated reason: its stable code first (UNKNOWN_PROVIDER, BAD_USER_INPUT), nothing written.
    if (!(e instanceof ClientRegistryError)) throw e;
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    process.exit(1);
  }
});
