import { randomUUID } from 'node:crypto';
import { DocumentNode, execute, ExecutionResult, GraphQLSchema, parse, validate } from 'graphql';
import { DataSource, IsNull } from 'typeorm';
import { disclosureReport, Recipient } from '../audit/review';
import { Caller, ClientRegistry } from '../callers/registry';
import { now } from '../clock';
import { Client, Consent, SubjectRequest, User } from '../db/entities';
import { Disclosure, ExplainEntry } from '../enforcement/disclosure';
import { gatewayContext, RequestState, ResolverServices, toIso } from '../request/context';
import { createLoaders } from '../loaders';
import { listErasureNotices } from '../onboarding/erasure-notices';
import { clientMayDeclare, CompiledPolicy, Purpose, resolvePurpose } from '../policy';
import { rowScope } from '../policy/scope';
import { appAuthorizations } from '../relationships/authorizations';
import { listCorrectionNotices } from './corrections';
import { RightsError } from './errors';
import { historyOf, recordEvent } from './requests';

/**
 * The data subject's portable copy (SPEC §7, the privacy policy's §6: access and portability):
 * for an ACCESS request, every stored field of the subject as the purpose `account` reads it,
 * with what that purpose may not read withheld and listed, and what the gateway knows about the
 * subject's consents, app authorisations, recipients and notices. Its shape is documented in
 * docs/access-copy.md.
 *
 * The subject's fields are read by executing one GraphQL document over the enforced schema, in
 * process, under `account` and the `all` scope, so that each field is decided, masked and audited
 * exactly as an `account` request over HTTP would be; the audit records are durably committed
 * before the copy is handed back (fail-closed: no commit, no copy).
 */

export const ACCESS_COPY_FORMAT = 'purposegate-access-copy/1';
/** The purpose the copy is read under: the subject's own account. */
export const COPY_PURPOSE = 'account';
/** The client the CLI acts as when `--client` is not given. */
export const DEFAULT_COPY_CLIENT = 'account-service';
const ORDER_PAGE = 100;

/**
 * Why a copy could not be issued, beyond the request itself (those are RightsErrors): the acting
 * client, or the audit. Nothing was written and no copy exists.
 */
export class AccessCopyError extends Error {
  override readonly name = 'AccessCopyError';

  constructor(readonly code: 'UNKNOWN_CLIENT' | 'PURPOSE_NOT_PERMITTED' | 'AUDIT_UNAVAILABLE', message: string) {
    super(message);
  }
}

/**
 * One document, two operations sharing the order fields: the subject with the first page of
 * orders, then (only for a subject with more than 100 orders) the following pages. Every field
 * of User, PaymentAccount, Device, Order and OrderItem is selected; the document is validated
 * against the schema at every build, so that a field added to the schema fails here, loudly,
 * until it is added to the copy.
 */
export const ACCESS_COPY_DOCUMENT = /* GraphQL */ `
query AccessCopy($id: ID!) @purpose(name: "account") {
  user(id: $id) {
    id username nickname avatarUrl gender signature realName birthDate phone city isMinor
    paymentAccounts { id provider accountNo holderName cardExpiry }
    devices { id model osVersion deviceId macAddress ipAddress wifiBssid city location { lat lng accuracyM } lastSeenAt }
    orders(first: ${ORDER_PAGE}) { ...AccessCopyOrders }
  }
}

query AccessCopyMoreOrders($id: ID!, $after: String!) @purpose(name: "account") {
  user(id: $id) { id orders(first: ${ORDER_PAGE}, after: $after) { ...AccessCopyOrders } }
}

fragment AccessCopyOrders on OrderConnection {
  pageInfo { hasNextPage endCursor }
  edges {
    node {
      id orderNo status channel totalAmount currency recipientName recipientPhone shippingAddress createdAt
      items { sku name quantity unitPrice }
      paymentAccount { id provider }
    }
  }
}
`;

let parsed: DocumentNode | null = null;
const copyDocument = () => (parsed ??= parse(ACCESS_COPY_DOCUMENT));

/** A field the copy leaves out (null) or shows masked, and why: the policy's decision for `account`. */
export interface WithheldField {
  /** Where it is in `subject`, e.g. `devices[0].deviceId`. */
  path: string;
  category: string;
  /** The denial's reason (PURPOSE_FORBIDS, RETENTION_EXPIRED, SUBJECT_ERASED…), or MASKED. */
  reason: string;
  /** Present when the value is shown masked rather than withheld. */
  mask?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface AccessCopy {
  format: typeof ACCESS_COPY_FORMAT;
  generatedAt: string;
  /** The client on whose behalf the copy was read (its audit records carry this id). */
  issuedBy: string;
  /** The copy's own reading, as the audit holds it. */
  audit: { requestId: string; purpose: string; policyVersion: string; allowed: number; masked: number; denied: number };
  request: {
    id: number; userId: number; kind: string; state: string; note: string | null; openedAt: string | null; dueAt: string | null;
    closedAt: string | null; refusalGround: string | null; openedBy: string;
    history: { at: string | null; action: string; clientId: string; detail: string | null }[];
  };
  subject: { [k: string]: Json };
  withheld: WithheldField[];
  consents: { id: number; purpose: string; clientId: string | null; byGuardian: boolean; grantedAt: string | null; withdrawnAt: string | null; active: boolean }[];
  appAuthorizations: { clientId: string; authorizedAt: string | null; revokedAt: string | null; active: boolean }[];
  disclosures: Recipient[];
  erasureNotices: { id: number; clientId: string; status: string; openedAt: string | null; acknowledgedAt: string | null }[];
  correctionNotices: { id: number; clientId: string; requestId: number; categories: string[]; status: string; openedAt: string | null; acknowledgedAt: string | null }[];
}

/** What a copy needs: the store, the policy, the enforced schema and a durable audit commit. */
export interface AccessCopyDeps {
  ds: DataSource;
  /** The gateway's services, for the context the subject is read in. */
  services: ResolverServices;
  policy: CompiledPolicy;
  /** The gateway's schema after enforceSchema: never the base schema (nothing would be decided or audited). */
  enforcedSchema: GraphQLSchema;
  /** Resolves once the disclosure's records are durably committed; rejects otherwise. */
  commit(d: Disclosure): Promise<void>;
}

/** The counts a copy holds, for the request's history, the CLI's summary and the log: never a value. */
export function copyCounts(copy: AccessCopy) {
  return {
    fields: copy.audit.allowed + copy.audit.masked,
    withheld: copy.withheld.length,
    paymentAccounts: Array.isArray(copy.subject.paymentAccounts) ? copy.subject.paymentAccounts.length : 0,
    devices: Array.isArray(copy.subject.devices) ? copy.subject.devices.length : 0,
    orders: Array.isArray(copy.subject.orders) ? copy.subject.orders.length : 0,
    consents: copy.consents.length,
    appAuthorizations: copy.appAuthorizations.length,
    recipients: copy.disclosures.length,
    erasureNotices: copy.erasureNotices.length,
    correctionNotices: copy.correctionNotices.length,
  };
}

export function describeCounts(c: ReturnType<typeof copyCounts>): string {
  return `${c.fields} fields, ${c.withheld} withheld; ${c.paymentAccounts} payment accounts, ${c.devices} devices, ${c.orders} orders; `
    + `${c.consents} consents, ${c.appAuthorizations} app authorisations, ${c.recipients} recipients, ${c.erasureNotices} erasure notices, ${c.correctionNotices} correction notices`;
}

/**
 * The client the CLI reads a copy as: registered, enabled, and declaring `account` (or a parent
 * of it). The console reads as the signed-in auditor instead (src/http/subject-copy-route.ts).
 */
export async function copyClient(ds: DataSource, policy: CompiledPolicy, clientId: string): Promise<Caller> {
  const caller = await new ClientRegistry(ds, 0).get(clientId);
  const enabled = caller !== null && (await ds.getRepository(Client).exists({ where: { id: caller.id, disabledAt: IsNull() } }));
  if (!caller || !enabled) throw new AccessCopyError('UNKNOWN_CLIENT', `No enabled client ${JSON.stringify(clientId.slice(0, 64))}: name a registered client that declares "${COPY_PURPOSE}" with --client`);
  if (!clientMayDeclare(policy, caller.purposes, COPY_PURPOSE as Purpose)) {
    throw new AccessCopyError('PURPOSE_NOT_PERMITTED', `Client "${caller.id}" is not registered for purpose "${COPY_PURPOSE}": a copy is read as the subject's account`);
  }
  return caller;
}

/** An ACCESS request, open or done (a refused one gets no copy). */
async function accessRequest(ds: DataSource, id: number | null, raw: string): Promise<SubjectRequest> {
  const r = id === null ? null : await ds.getRepository(SubjectRequest).findOne({ where: { id } });
  if (!r) throw new RightsError('UNKNOWN_REQUEST', `No subject request ${JSON.stringify(String(raw).slice(0, 32))}`, 'request');
  if (r.kind !== 'ACCESS') throw new RightsError('WRONG_KIND', `Request ${r.id} is a ${r.kind} request, not ACCESS`, 'request');
  if (r.state === 'REFUSED') throw new RightsError('REQUEST_CLOSED', `Request ${r.id} was refused (${r.refusalGround ?? 'no ground'}): no copy is issued`, 'request');
  return r;
}

/** A path of the executed document as a path in the copy's `subject`: `orders[3].items`, `devices[0].location`. */
function copyPath(path: readonly (string | number)[], orderOffset: number): string {
  // ['user', …] ; orders come as ['user', 'orders', 'edges', i, 'node', …]
  const rest = path.slice(1);
  let out = '';
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i];
    if (p === 'orders' && rest[i + 1] === 'edges' && typeof rest[i + 2] === 'number' && rest[i + 3] === 'node') {
      out += `${out ? '.' : ''}orders[${orderOffset + (rest[i + 2] as number)}]`;
      i += 3;
    } else if (typeof p === 'number') {
      out += `[${p}]`;
    } else {
      out += `${out ? '.' : ''}${p}`;
    }
  }
  return out;
}

function withheldOf(entries: readonly ExplainEntry[], orderOffset: number): WithheldField[] {
  return entries
    .filter((e) => e.decision !== 'ALLOW')
    .map((e) => (e.decision === 'MASK'
      ? { path: copyPath(e.path, orderOffset), category: e.category, reason: 'MASKED', mask: e.mask ?? undefined }
      : { path: copyPath(e.path, orderOffset), category: e.category, reason: e.reason }));
}

interface OrderPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Json }[];
}

/** Any error of the execution (none is expected under `account` and the `all` scope): no copy. */
function checked(result: ExecutionResult): Record<string, unknown> {
  if (result.errors?.length) {
    const codes = [...new Set(result.errors.map((e) => String(e.extensions?.code ?? 'INTERNAL')))].join(', ');
    throw new Error(`the access copy's reading failed (${codes})`);
  }
  return result.data as Record<string, unknown>;
}

/**
 * Reads the subject as `account` (see the module comment) and returns the subject's tree, in the
 * copy's shape (orders flattened out of their connection), with the disclosure, uncommitted.
 */
async function readSubject(deps: AccessCopyDeps, caller: Caller, userId: number, at: Date) {
  const { ds, services, policy, enforcedSchema: schema } = deps;
  const document = copyDocument();
  const invalid = validate(schema, document);
  if (invalid.length) throw new Error(`the access copy's document no longer fits the schema: ${invalid[0].message}`);
  const purpose = resolvePurpose(policy, COPY_PURPOSE);
  if (!purpose.ok) throw new Error(`the policy has no declarable purpose "${COPY_PURPOSE}"`);

  const requestId = randomUUID();
  // X-Explain on: its entries are what the copy lists as withheld, with their paths.
  const d = new Disclosure(requestId, caller.id, purpose.purpose, purpose.basis, null, policy, at, true);
  const loaders = createLoaders(ds);
  loaders.useScope(rowScope(['all'], caller, null)); // account's scope (SPEC §11)
  const ctx = gatewayContext({ request: new RequestState(requestId, at, new Map()), caller, loaders, ds, ...services });
  ctx.request.declare(d);
  const run = async (operationName: string, variables: Record<string, unknown>) =>
    checked((await execute({ schema, document, operationName, variableValues: variables, contextValue: ctx })) as ExecutionResult);

  const user = (await run('AccessCopy', { id: String(userId) })).user as ({ orders: OrderPage } & Record<string, Json>) | null;
  if (!user) throw new RightsError('UNKNOWN_USER', `The user of this request (${userId}) no longer exists`, 'request');
  const withheld = withheldOf(d.explain!, 0);
  const orders: Json[] = [];
  let page: OrderPage = user.orders;
  for (;;) {
    orders.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    const seen = d.explain!.length;
    const more = (await run('AccessCopyMoreOrders', { id: String(userId), after: page.pageInfo.endCursor })).user as { orders: OrderPage };
    withheld.push(...withheldOf(d.explain!.slice(seen), orders.length));
    page = more.orders;
  }
  d.close();
  const { orders: _connection, ...fields } = user;
  return { d, subject: { ...fields, orders } as { [k: string]: Json }, withheld };
}

/**
 * Builds the portable copy for ACCESS request `requestId` (SPEC §7), read as `caller` under
 * `account`: the request must exist and be of kind ACCESS, OPEN or DONE (a REFUSED one gets
 * none); issuing a copy does not close it. In order: the subject is read (nothing leaves yet);
 * the rest is gathered (the disclosure report counts what was committed before this copy);
 * the reading's audit records are durably committed; COPY_ISSUED is recorded on the request
 * with counts only. Any failure before the end: an error, and no copy.
 */
export async function buildAccessCopy(
  deps: AccessCopyDeps,
  input: { requestId: number | null; rawRequestId: string },
  caller: Caller,
): Promise<AccessCopy> {
  const { ds } = deps;
  const at = now();
  const request = await accessRequest(ds, input.requestId, input.rawRequestId);
  const user = await ds.getRepository(User).findOne({ where: { id: request.userId } });
  if (!user) throw new RightsError('UNKNOWN_USER', `The user of request ${request.id} no longer exists`, 'request');

  const { d, subject, withheld } = await readSubject(deps, caller, user.id, at);

  const [consents, authorizations, disclosures, erasureNotices, correctionNotices] = await Promise.all([
    ds.getRepository(Consent).find({ where: { userId: user.id }, order: { id: 'ASC' } }),
    appAuthorizations(ds, user.id),
    disclosureReport(deps.services.audit, ds, user.id),
    listErasureNotices(ds, { subjectId: user.id }),
    listCorrectionNotices(ds, { subjectId: user.id }),
  ]);

  try {
    await deps.commit(d);
  } catch {
    throw new AccessCopyError('AUDIT_UNAVAILABLE', 'The sharing audit is unavailable, so the copy cannot be released; retry later');
  }

  const copy: AccessCopy = {
    format: ACCESS_COPY_FORMAT,
    generatedAt: at.toISOString(),
    issuedBy: caller.id,
    audit: { requestId: d.requestId, purpose: d.purpose, policyVersion: d.policy.version, allowed: d.allowed, masked: d.masked, denied: d.denied },
    request: {
      id: request.id, userId: request.userId, kind: request.kind, state: request.state, note: request.note,
      openedAt: toIso(request.openedAt), dueAt: toIso(request.dueAt), closedAt: toIso(request.closedAt), refusalGround: request.refusalGround, openedBy: request.openedBy,
      history: [],
    },
    subject,
    withheld,
    consents: consents.map((c) => ({ id: c.id, purpose: c.purpose, clientId: c.clientId, byGuardian: !!c.byGuardian, grantedAt: toIso(c.grantedAt), withdrawnAt: toIso(c.withdrawnAt), active: c.withdrawnAt == null })),
    appAuthorizations: authorizations.map((a) => ({ clientId: a.clientId, authorizedAt: toIso(a.authorizedAt), revokedAt: toIso(a.revokedAt), active: a.revokedAt == null })),
    disclosures,
    erasureNotices: erasureNotices.map((n) => ({ id: n.id, clientId: n.clientId, status: n.status, openedAt: toIso(n.openedAt), acknowledgedAt: toIso(n.acknowledgedAt) })),
    correctionNotices: correctionNotices.map((n) => ({ id: n.id, clientId: n.clientId, requestId: n.requestId, categories: [...n.categories], status: n.status, openedAt: toIso(n.openedAt), acknowledgedAt: toIso(n.acknowledgedAt) })),
  };
  const counts = copyCounts(copy);
  // The event's request id is the reading's: the audit records of this copy carry it.
  await recordEvent(ds, request.id, 'COPY_ISSUED', { clientId: caller.id, at, requestId: d.requestId }, describeCounts(counts));
  // The history as it stands, COPY_ISSUED included.
  copy.request.history = ((await historyOf(ds, [request.id])).get(request.id) ?? []).map((e) => ({ at: toIso(e.at), action: e.action, clientId: e.clientId, detail: e.detail }));
  return copy;
}
