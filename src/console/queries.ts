/** The GraphQL documents the console sends: the review API of SPEC §6 and the auditor queries it adds. */

export const AUDIT_EVENT_FIELDS = `id requestId at clientId purpose caseRef subjectId entity entityId field category decision mask reason basis policyVersion consentId`;

export const AUDIT_EVENTS = `query ConsoleEvents($filter: AuditFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { ${AUDIT_EVENT_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const DISCLOSURE_REPORT = `query ConsoleDisclosureReport($subjectId: ID!) {
  disclosureReport(subjectId: $subjectId) { clientId categories purposes firstAt lastAt count }
  subjectReview(subjectId: $subjectId) {
    subjectId exists erased erasedAt
    consents { id purpose clientId byGuardian grantedAt withdrawnAt active }
  }
  erasureNotices(subjectId: $subjectId) { id clientId status openedAt acknowledgedAt ageDays }
}`;

export const CREATE_DOWNLOAD = `mutation ConsoleDownload($subjectId: ID!, $format: RecordsFormat!) {
  createRecordsDownload(subjectId: $subjectId, format: $format) { url expiresAt }
}`;

export const CLIENTS = `query ConsoleClients { consoleClients { id displayName kind role purposes providers scopes { purpose scope meaning declarable } disabled } }`;

export const CLIENT_ACTIVITY = `query ConsoleClientActivity($clientId: ID!, $from: String!, $to: String!) {
  clientActivity(clientId: $clientId, from: $from, to: $to) {
    clientId from to bucket
    buckets { start allow mask deny }
    categories { category allow mask deny }
    denialReasons { reason count }
    outOfScope
  }
}`;

/** Data-subject requests (SPEC §7), readable by auditors under audit.review: the Requests view and a subject's own. */
const REQUEST_FIELDS = `id userId kind state note openedAt dueAt closedAt outcome refusalGround overdue openedBy history { at action clientId detail }`;

export const SUBJECT_REQUESTS = `query ConsoleSubjectRequests($filter: SubjectRequestFilter) {
  subjectRequests(filter: $filter) { ${REQUEST_FIELDS} }
}`;

export const CORRECTION_NOTICES = `query ConsoleCorrectionNotices($subjectId: ID!) {
  correctionNotices(subjectId: $subjectId) { id subjectId clientId requestId categories status openedAt acknowledgedAt }
}`;

/**
 * Each named client's field decisions over [from, to), in one request: one aliased
 * `clientActivity` per client, reading only its per-category counts (their sum is every decision).
 * For the Clients view's default (the busiest client); callers keep `ids` under the gateway's alias limit.
 */
export function decisionTotalsQuery(count: number): string {
  const vars = Array.from({ length: count }, (_, i) => `$c${i}: ID!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `c${i}: clientActivity(clientId: $c${i}, from: $from, to: $to) { clientId categories { allow mask deny } }`).join('\n  ');
  return `query ConsoleDecisionTotals($from: String!, $to: String!, ${vars}) {\n  ${fields}\n}`;
}

export type DecisionTotals = Record<string, { clientId: string; categories: { allow: number; mask: number; deny: number }[] }>;

export const CHAINS = `query ConsoleChains {
  auditChainStatus { chainId length headHash startedAt lastVerifiedAt lastVerifiedOk lastVerifiedDetail }
}`;

const JOB_FIELDS = `id state checked total startedAt finishedAt ok detail`;

export const START_VERIFICATION = `mutation ConsoleVerify { startChainVerification { ${JOB_FIELDS} } }`;

export const VERIFICATION = `query ConsoleVerification($id: ID!) { chainVerification(id: $id) { ${JOB_FIELDS} } }`;

export interface AuditEvent {
  id: string;
  requestId: string;
  at: string;
  clientId: string;
  purpose: string;
  caseRef: string | null;
  subjectId: string | null;
  entity: string;
  entityId: string;
  field: string;
  category: string;
  decision: 'ALLOW' | 'MASK' | 'DENY';
  mask: string | null;
  reason: string;
  basis: string;
  policyVersion: string;
  consentId: string | null;
}

export interface EventsPage {
  auditEvents: { edges: { cursor: string; node: AuditEvent }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

export interface Recipient {
  clientId: string;
  categories: string[];
  purposes: string[];
  firstAt: string;
  lastAt: string;
  count: number;
}

export interface ConsentRow {
  id: string;
  purpose: string;
  clientId: string | null;
  byGuardian: boolean;
  grantedAt: string;
  withdrawnAt: string | null;
  active: boolean;
}

export interface ErasureNotice {
  id: string;
  clientId: string;
  status: 'OPEN' | 'ACKNOWLEDGED';
  openedAt: string;
  acknowledgedAt: string | null;
  ageDays: number;
}

export interface SubjectAnswer {
  disclosureReport: Recipient[];
  erasureNotices: ErasureNotice[];
  subjectReview: { subjectId: string; exists: boolean; erased: boolean; erasedAt: string | null; consents: ConsentRow[] };
}

/** The relationship scope (SPEC §11) one registered purpose gives a client. */
export interface PurposeScope {
  purpose: string;
  scope: string;
  meaning: string;
  declarable: string[];
}

export interface ConsoleClient {
  id: string;
  displayName: string;
  kind: string;
  role: string;
  purposes: string[];
  /** Payment providers it is registered for (what a `provider` scope may see). */
  providers: string[];
  scopes: PurposeScope[];
  disabled: boolean;
}

export interface ClientActivity {
  clientId: string;
  from: string;
  to: string;
  bucket: 'HOUR' | 'DAY';
  buckets: { start: string; allow: number; mask: number; deny: number }[];
  categories: { category: string; allow: number; mask: number; deny: number }[];
  denialReasons: { reason: string; count: number }[];
  /** Rows refused as outside its relationship scope (reason OUT_OF_SCOPE) in the range. */
  outOfScope: number;
}

export interface SubjectRequestEvent {
  at: string;
  /** OPENED, CORRECTED, COPY_ISSUED, ERASED, DONE or REFUSED. */
  action: string;
  clientId: string;
  /** Field names, counts or the refusal ground; never a personal value. */
  detail: string | null;
}

export interface SubjectRequest {
  id: string;
  userId: string;
  kind: string;
  state: 'OPEN' | 'DONE' | 'REFUSED';
  note: string | null;
  openedAt: string;
  dueAt: string;
  closedAt: string | null;
  outcome: 'DONE' | 'REFUSED' | null;
  refusalGround: string | null;
  /** Open past its due date, by the gateway's clock. */
  overdue: boolean;
  openedBy: string;
  history: SubjectRequestEvent[];
}

export interface CorrectionNotice {
  id: string;
  subjectId: string;
  clientId: string;
  requestId: string;
  categories: string[];
  status: 'OPEN' | 'ACKNOWLEDGED';
  openedAt: string;
  acknowledgedAt: string | null;
}

export interface ChainStatus {
  chainId: string;
  length: number;
  headHash: string;
  startedAt: string;
  lastVerifiedAt: string | null;
  lastVerifiedOk: boolean | null;
  lastVerifiedDetail: string | null;
}

export interface VerificationJob {
  id: string;
  state: 'RUNNING' | 'PASSED' | 'FAILED' | 'ERROR';
  checked: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  detail: string | null;
}
