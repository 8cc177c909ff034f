import { ALL_SUBJECTS_CASE, coverAllSubjects, KEYS, TestGateway } from '../helpers/gateway';

/**
 * The foundation tests read every field in clear: they query as the legal desk under a
 * legal purpose with a case reference, which the default policy allows for every category,
 * about the subjects the case names (SPEC §11): the test case names every user of the store.
 * The one exception is an erased subject (Erin, user 5), whose fields are denied to every purpose.
 */
export const LEGAL = {
  key: KEYS.legal,
  headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': ALL_SUBJECTS_CASE },
} as const;

interface GqlError { message: string; path?: (string | number)[]; extensions?: { code?: string; reason?: string } }

const erasedSubjectDenial = (e: GqlError) => e.extensions?.code === 'FIELD_DENIED' && e.extensions.reason === 'SUBJECT_ERASED';

/**
 * POST a query as the legal desk; fails the test unless the answer is HTTP 200 with no
 * error other than the denial of an erased subject's fields.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function legalData(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await legalQuery(gw, query, variables);
  const errors: GqlError[] = res.body?.errors ?? [];
  if (res.status !== 200 || !res.body?.data || !errors.every(erasedSubjectDenial)) {
    throw new Error(`expected a clean 200, got ${res.status}: ${JSON.stringify(res.body).slice(0, 2000)}`);
  }
  return res.body.data;
}

/** POST a query as the legal desk (its case naming every user there is now) and return the raw response. */
export async function legalQuery(gw: TestGateway, query: string, variables?: Record<string, unknown>) {
  // With the store down (the outage tests), there is nothing to cover: the request is what they check.
  if (gw.store.ds.isInitialized) await coverAllSubjects(gw.store.ds).catch((e: unknown) => { if (!/not open|closed|ECONNREFUSED/i.test(String(e))) throw e; });
  return gw.gql(LEGAL.key, query, { headers: { ...LEGAL.headers }, variables });
}
