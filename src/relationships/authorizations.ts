import { DataSource, In, IsNull } from 'typeorm';
import { Client, User } from '../db/entities';
import { AppAuthorization } from '../db/entities/AppAuthorization';
import { CompiledPolicy, registeredScopes } from '../policy';
import { RelationshipError } from './errors';

/** Who asked, for the row's history: the request that authorised or revoked. */
export interface Actor {
  readonly requestId: string;
  readonly at: Date;
}

const shown = (v: string) => JSON.stringify(v.slice(0, 64));

/** The user, who must exist and not be erased (an erased subject authorises nothing). */
async function subject(ds: DataSource, userId: number | null, raw: string): Promise<User> {
  const user = userId === null ? null : await ds.getRepository(User).findOne({ where: { id: userId } });
  if (!user) throw new RelationshipError('UNKNOWN_USER', `No user ${shown(raw)}`, 'userId');
  if (user.erasedAt) throw new RelationshipError('BAD_USER_INPUT', `User ${user.id} is erased`, 'userId');
  return user;
}

/** The app: a registered client with a purpose whose scope is `authorized`, or authorising it would mean nothing. */
async function app(ds: DataSource, policy: CompiledPolicy, clientId: string): Promise<Client> {
  const client = await ds.getRepository(Client).findOne({ where: { id: clientId } });
  if (!client) throw new RelationshipError('UNKNOWN_CLIENT', `No client ${shown(clientId)}`, 'clientId');
  if (!registeredScopes(policy, client.purposes).includes('authorized')) {
    throw new RelationshipError('NOT_AN_APP', `Client "${client.id}" declares no purpose whose scope is "authorized" (such as third-party-app), so it cannot be authorised`, 'clientId');
  }
  return client;
}

/** The user authorises the app (SPEC §11). Idempotent: an active authorisation is returned as it is. */
export async function authorizeApp(ds: DataSource, policy: CompiledPolicy, userId: number | null, rawUserId: string, clientId: string, actor: Actor): Promise<AppAuthorization> {
  const user = await subject(ds, userId, rawUserId);
  const client = await app(ds, policy, clientId);
  return ds.transaction(async (m) => {
    const active = await m.findOne(AppAuthorization, { where: { userId: user.id, clientId: client.id, revokedAt: IsNull() } });
    if (active) return active;
    return m.save(m.create(AppAuthorization, { userId: user.id, clientId: client.id, authorizedAt: actor.at, revokedAt: null, authorizedRequestId: actor.requestId, revokedRequestId: null }));
  });
}

/** The user revokes the app: it sees nothing more of them from the next request on. */
export async function revokeApp(ds: DataSource, userId: number | null, rawUserId: string, clientId: string, actor: Actor): Promise<AppAuthorization> {
  const id = userId ?? -1;
  const repo = ds.getRepository(AppAuthorization);
  const active = await repo.find({ where: { userId: id, clientId, revokedAt: IsNull() }, order: { id: 'ASC' } });
  if (!active.length) {
    if (!(await ds.getRepository(User).exists({ where: { id } }))) throw new RelationshipError('UNKNOWN_USER', `No user ${shown(rawUserId)}`, 'userId');
    throw new RelationshipError('NOT_AUTHORIZED', `User ${id} has not authorised ${shown(clientId)}`, 'clientId');
  }
  for (const a of active) Object.assign(a, { revokedAt: actor.at, revokedRequestId: actor.requestId });
  await repo.save(active);
  return active[active.length - 1];
}

/** A user's authorisations, active and revoked, oldest first. */
export async function appAuthorizations(ds: DataSource, userId: number | null): Promise<AppAuthorization[]> {
  if (userId === null) return [];
  return ds.getRepository(AppAuthorization).find({ where: { userId }, order: { id: 'ASC' } });
}

/** Active authorisations of many users for one app (the seed and the bench). */
export async function authorizedUsers(ds: DataSource, clientId: string, userIds: number[]): Promise<Set<number>> {
  const rows = await ds.getRepository(AppAuthorization).find({ where: { clientId, userId: In(userIds), revokedAt: IsNull() } });
  return new Set(rows.map((r) => r.userId));
}
