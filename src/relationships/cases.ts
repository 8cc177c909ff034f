import { DataSource, In } from 'typeorm';
import { LegalCase, LegalCaseSubject, User } from '../db/entities';
import { CaseFacts, CompiledPolicy, resolvePurpose, scopeOf } from '../policy';
import { CASE_REF } from '../policy/scope';
import { RelationshipError } from './errors';

/** At most this many subjects per case: a case names people, it does not enumerate a user base. */
export const MAX_CASE_SUBJECTS = 1000;

export interface NewCase {
  readonly caseRef: string;
  readonly purposes: readonly string[];
  readonly subjectIds: readonly string[];
  readonly expiresAt: string;
}

/** A case with its subjects and its state at a given time. */
export interface CaseView {
  readonly caseRef: string;
  readonly purposes: readonly string[];
  readonly subjectIds: readonly number[];
  readonly expiresAt: Date;
  readonly openedAt: Date;
  readonly openedBy: string;
  readonly closedAt: Date | null;
  readonly state: 'OPEN' | 'CLOSED' | 'EXPIRED';
}

function stateAt(c: LegalCase, at: Date): CaseView['state'] {
  if (c.closedAt) return 'CLOSED';
  return c.expiresAt.getTime() <= at.getTime() ? 'EXPIRED' : 'OPEN';
}

const bad = (message: string, argument: string) => new RelationshipError('BAD_USER_INPUT', message, argument);

/** Validates a new case against the policy and the store; throws a RelationshipError and writes nothing. */
async function checkCase(ds: DataSource, policy: CompiledPolicy, input: NewCase, at: Date): Promise<{ purposes: string[]; subjectIds: number[]; expiresAt: Date }> {
  if (!CASE_REF.test(input.caseRef)) throw bad('A case reference is 1-64 letters, digits and . _ : / -', 'caseRef');
  const purposes = [...new Set(input.purposes)];
  if (!purposes.length) throw bad('A case names at least one purpose', 'purposes');
  for (const p of purposes) {
    const r = resolvePurpose(policy, p);
    if (!r.ok || scopeOf(policy, r.purpose) !== 'case') throw bad(`"${p.slice(0, 64)}" is not a purpose whose scope is "case" (such as legal.criminal-investigation)`, 'purposes');
  }
  if (!input.subjectIds.length) throw bad('A case names at least one subject', 'subjectIds');
  if (input.subjectIds.length > MAX_CASE_SUBJECTS) throw bad(`A case names at most ${MAX_CASE_SUBJECTS} subjects`, 'subjectIds');
  const subjectIds = [...new Set(input.subjectIds.map((s) => (/^\d{1,15}$/.test(String(s)) ? Number(s) : NaN)))];
  if (subjectIds.some((n) => !Number.isSafeInteger(n) || n < 1)) throw bad('Subject ids are user ids', 'subjectIds');
  const found = new Set((await ds.getRepository(User).find({ select: { id: true }, where: { id: In(subjectIds) } })).map((u) => u.id));
  const missing = subjectIds.filter((id) => !found.has(id));
  if (missing.length) throw new RelationshipError('UNKNOWN_USER', `No user ${missing.slice(0, 5).join(', ')}`, 'subjectIds');
  const parsed = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d\d:\d\d)?)?$/.test(input.expiresAt) ? new Date(input.expiresAt.length === 10 ? `${input.expiresAt}T23:59:59Z` : input.expiresAt) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw bad('expiresAt is an ISO-8601 date or time (2027-12-31, or 2027-12-31T23:59:59Z)', 'expiresAt');
  // Whole seconds: MySQL's DATETIME keeps no fraction, and every store must expire a case at the same instant.
  const expiresAt = new Date(Math.floor(parsed.getTime() / 1000) * 1000);
  if (expiresAt.getTime() <= at.getTime()) throw bad('expiresAt must be in the future', 'expiresAt');
  return { purposes, subjectIds, expiresAt };
}

/** Registers a legal case (SPEC §11). A reference is registered once; nothing is written on error. */
export async function registerCase(ds: DataSource, policy: CompiledPolicy, input: NewCase, openedBy: string, at: Date): Promise<CaseView> {
  const { purposes, subjectIds, expiresAt } = await checkCase(ds, policy, input, at);
  await ds.transaction(async (m) => {
    if (await m.exists(LegalCase, { where: { caseRef: input.caseRef } })) {
      throw new RelationshipError('CASE_EXISTS', `Case "${input.caseRef}" is already registered`, 'caseRef');
    }
    await m.insert(LegalCase, { caseRef: input.caseRef, purposes, expiresAt, openedAt: at, openedBy, closedAt: null });
    await m.insert(LegalCaseSubject, subjectIds.map((userId) => ({ caseRef: input.caseRef, userId })));
  });
  return (await getCase(ds, input.caseRef, at))!;
}

/** Closes a case: from the next request on, nothing is released under it. Closing a closed case changes nothing. */
export async function closeCase(ds: DataSource, caseRef: string, at: Date): Promise<CaseView> {
  const repo = ds.getRepository(LegalCase);
  const c = await repo.findOne({ where: { caseRef } });
  if (!c) throw new RelationshipError('UNKNOWN_CASE', `No case "${caseRef.slice(0, 64)}"`, 'caseRef');
  if (!c.closedAt) await repo.update({ caseRef }, { closedAt: at });
  return (await getCase(ds, caseRef, at))!;
}

export async function getCase(ds: DataSource, caseRef: string, at: Date): Promise<CaseView | null> {
  const c = await ds.getRepository(LegalCase).findOne({ where: { caseRef } });
  if (!c) return null;
  const subjects = await ds.getRepository(LegalCaseSubject).find({ where: { caseRef }, order: { userId: 'ASC' } });
  return { ...c, subjectIds: subjects.map((s) => s.userId), state: stateAt(c, at) };
}

/** Every case, newest first; `open` true: only those that can be relied on now; false: only closed or expired ones. */
export async function listCases(ds: DataSource, at: Date, open?: boolean | null): Promise<CaseView[]> {
  const cases = await ds.getRepository(LegalCase).find({ order: { openedAt: 'DESC', caseRef: 'ASC' } });
  const subjects = cases.length ? await ds.getRepository(LegalCaseSubject).find({ where: { caseRef: In(cases.map((c) => c.caseRef)) }, order: { userId: 'ASC' } }) : [];
  const views = cases.map((c) => ({ ...c, subjectIds: subjects.filter((s) => s.caseRef === c.caseRef).map((s) => s.userId), state: stateAt(c, at) }));
  return open == null ? views : views.filter((v) => (v.state === 'OPEN') === open);
}

/** The case lookup of the request path: the facts the policy needs (caseValidFor), without subjects. */
export function caseLookup(ds: DataSource) {
  return async (caseRef: string): Promise<CaseFacts | null> => {
    const c = await ds.getRepository(LegalCase).findOne({ where: { caseRef } });
    return c ? { caseRef: c.caseRef, purposes: c.purposes, expiresAt: c.expiresAt, closedAt: c.closedAt } : null;
  };
}
