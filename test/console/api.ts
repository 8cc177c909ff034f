import { KEYS, TestGateway } from '../helpers/gateway';

/** The review API as the tests read it, to compare with what the console shows. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function review(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<any> {
  const r = await gw.gql(KEYS.security, query, { variables, purpose: 'audit.review' });
  if (r.status !== 200 || r.body.errors) throw new Error(`review query failed: ${r.status} ${JSON.stringify(r.body).slice(0, 1000)}`);
  return r.body.data;
}

export interface EventNode {
  id: string;
  at: string;
  clientId: string;
  purpose: string;
  caseRef: string | null;
  subjectId: string | null;
  entity: string;
  entityId: string;
  field: string;
  category: string;
  decision: string;
  mask: string | null;
  reason: string;
  basis: string;
  policyVersion: string;
  consentId: string | null;
  requestId: string;
}

const EVENTS = `query($filter: AuditFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { node { id at clientId purpose caseRef subjectId entity entityId field category decision mask reason basis policyVersion consentId requestId } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Pages of auditEvents for a filter, `size` records each, as the API gives them. */
export async function eventPages(gw: TestGateway, filter: Record<string, string> | null, size: number): Promise<EventNode[][]> {
  const pages: EventNode[][] = [];
  let after: string | null = null;
  for (;;) {
    const d = await review(gw, EVENTS, { filter, first: size, after });
    pages.push(d.auditEvents.edges.map((e: { node: EventNode }) => e.node));
    if (!d.auditEvents.pageInfo.hasNextPage) return pages;
    after = d.auditEvents.pageInfo.endCursor;
  }
}

export async function allEvents(gw: TestGateway, filter: Record<string, string> | null): Promise<EventNode[]> {
  return (await eventPages(gw, filter, 100)).flat();
}
