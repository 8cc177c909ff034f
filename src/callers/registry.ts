import { DataSource, IsNull } from 'typeorm';
import { now } from '../clock';
import { ApiKey, Client } from '../db/entities';
import type { ClientKind, ClientRole } from '../db/entities/Client';
import { isPaymentProvider, PAYMENT_PROVIDERS } from '../policy/scope';
import { generateApiKey, hashApiKey, keyPrefix, sameHash } from './keys';

/** The caller as the rest of the request sees it: immutable, no key material. */
export interface Caller {
  readonly id: string;
  readonly displayName: string;
  readonly kind: ClientKind;
  readonly role: ClientRole;
  readonly purposes: readonly string[];
  /** Payment providers it integrates (SPEC §11): the `provider` scope's relationship. */
  readonly providers: readonly string[];
  readonly trustedDocumentsOnly: boolean;
  readonly rateLimitPerSecond: number | null;
}

export interface NewClient {
  id: string;
  displayName?: string;
  kind: ClientKind;
  role: ClientRole;
  purposes: string[];
  providers?: string[];
  trustedDocumentsOnly?: boolean;
  rateLimitPerSecond?: number | null;
}

const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** A registration that cannot be made; `code` is stable (`BAD_USER_INPUT`, or `UNKNOWN_PROVIDER` for a provider that does not exist). */
export class ClientRegistryError extends Error {
  constructor(message: string, readonly code: 'BAD_USER_INPUT' | 'UNKNOWN_PROVIDER' = 'BAD_USER_INPUT') {
    super(message);
  }
}

/** Checks and normalises a provider list: known names, each once, in the order given. */
export function checkProviders(providers: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of providers) {
    if (!isPaymentProvider(p)) throw new ClientRegistryError(`unknown payment provider "${p.slice(0, 32)}" (expected ${PAYMENT_PROVIDERS.join(', ')})`, 'UNKNOWN_PROVIDER');
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

function toCaller(c: Client): Caller {
  return Object.freeze({
    id: c.id,
    displayName: c.displayName,
    kind: c.kind,
    role: c.role,
    purposes: Object.freeze([...c.purposes]),
    providers: Object.freeze([...(c.providers ?? [])]),
    trustedDocumentsOnly: !!c.trustedDocumentsOnly,
    rateLimitPerSecond: c.rateLimitPerSecond,
  });
}

/**
 * Clients and their hashed keys. Authentication results are cached briefly (`cacheMs`,
 * CLIENT_CACHE_MS) so that a hot key costs no query. With several gateway replicas on one store
 * (docs/scale-out.md) each has its own cache: a change made through one replica clears that
 * replica's cache at once, and reaches every other replica when its entries expire — within
 * `cacheMs` of the change (plus, on Galera, the node's apply delay of milliseconds). Entries are
 * never renewed without a read, so that bound holds for a revoked key or a disabled client too.
 */
export class ClientRegistry {
  private readonly cache = new Map<string, { caller: Caller | null; until: number }>();

  constructor(private readonly ds: DataSource, private readonly cacheMs = 5000) {}

  /** The caller a presented key belongs to, or null for an unknown, revoked or disabled key. */
  async authenticate(key: string): Promise<Caller | null> {
    const hash = hashApiKey(key);
    const t = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > t) return hit.caller;
    const row = await this.ds.getRepository(ApiKey).findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    let caller: Caller | null = null;
    if (row && sameHash(row.keyHash, hash)) {
      const client = await this.ds.getRepository(Client).findOne({ where: { id: row.clientId, disabledAt: IsNull() } });
      caller = client ? toCaller(client) : null;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { caller, until: t + this.cacheMs });
    return caller;
  }

  async get(id: string): Promise<Caller | null> {
    const c = await this.ds.getRepository(Client).findOne({ where: { id } });
    return c ? toCaller(c) : null;
  }

  async list(): Promise<Caller[]> {
    return (await this.ds.getRepository(Client).find({ order: { id: 'ASC' } })).map(toCaller);
  }

  /** Register a client and return its first key, which is shown once and stored only as a hash. */
  async create(spec: NewClient, presetKey?: string): Promise<{ caller: Caller; key: string }> {
    if (!CLIENT_ID.test(spec.id)) throw new ClientRegistryError(`client id "${spec.id}" must match ${CLIENT_ID}`);
    const providers = checkProviders(spec.providers ?? []);
    if (await this.ds.getRepository(Client).exists({ where: { id: spec.id } })) {
      throw new ClientRegistryError(`client "${spec.id}" already exists`);
    }
    const client = this.ds.getRepository(Client).create({
      id: spec.id,
      displayName: spec.displayName ?? spec.id,
      kind: spec.kind,
      role: spec.role,
      purposes: spec.purposes,
      providers,
      trustedDocumentsOnly: spec.trustedDocumentsOnly ?? false,
      rateLimitPerSecond: spec.rateLimitPerSecond ?? null,
      createdAt: now(),
      disabledAt: null,
    });
    const key = presetKey ?? generateApiKey();
    await this.ds.transaction(async (m) => {
      await m.save(client);
      await m.save(m.create(ApiKey, { clientId: spec.id, keyHash: hashApiKey(key), keyPrefix: keyPrefix(key), createdAt: now(), revokedAt: null }));
    });
    return { caller: toCaller(client), key };
  }

  /** Issue another key for a client (rotation); the old ones stay valid until revoked. */
  async addKey(clientId: string): Promise<string> {
    if (!(await this.get(clientId))) throw new ClientRegistryError(`no client "${clientId}"`);
    const key = generateApiKey();
    await this.ds.getRepository(ApiKey).save({ clientId, keyHash: hashApiKey(key), keyPrefix: keyPrefix(key), createdAt: now(), revokedAt: null });
    return key;
  }

  async revokeKeys(clientId: string): Promise<number> {
    const r = await this.ds.getRepository(ApiKey).update({ clientId, revokedAt: IsNull() }, { revokedAt: now() });
    this.cache.clear();
    return r.affected ?? 0;
  }

  async update(clientId: string, patch: Partial<Pick<Client, 'trustedDocumentsOnly' | 'rateLimitPerSecond' | 'purposes' | 'displayName'>> & { providers?: string[] }): Promise<Caller> {
    if (patch.providers !== undefined) patch = { ...patch, providers: checkProviders(patch.providers) };
    const repo = this.ds.getRepository(Client);
    const c = await repo.findOne({ where: { id: clientId } });
    if (!c) throw new ClientRegistryError(`no client "${clientId}"`);
    Object.assign(c, patch);
    await repo.save(c);
    this.cache.clear();
    return toCaller(c);
  }
}
