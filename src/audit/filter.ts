import { badInput } from '../errors';
import { CATEGORIES, PURPOSES } from '../policy';
import { toDbTime } from './columns';

/** The review filters of SPEC §6 as a caller gives them (GraphQL input, CLI options). */
export interface AuditFilterInput {
  subjectId?: string | number | null;
  clientId?: string | null;
  purpose?: string | null;
  category?: string | null;
  decision?: string | null;
  /** ISO-8601: a date (midnight UTC) or a date-time with a zone. Inclusive. */
  from?: string | null;
  /** ISO-8601 as `from`. Exclusive, so that months and days tile. */
  to?: string | null;
}

/** A validated filter; times in the store's form. */
export interface AuditQuery {
  subjectId: number | null;
  clientId: string | null;
  purpose: string | null;
  category: string | null;
  decision: 'ALLOW' | 'MASK' | 'DENY' | null;
  from: string | null;
  to: string | null;
}

const DECISIONS = ['ALLOW', 'MASK', 'DENY'] as const;
const ISO = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function time(value: string | null | undefined, arg: string): string | null {
  if (value == null || value === '') return null;
  const d = ISO.test(value) ? new Date(value) : null;
  if (!d || Number.isNaN(d.getTime())) throw badInput(`"${arg}" must be an ISO-8601 date or date-time with a zone, such as 2026-11-01 or 2026-11-01T08:00:00Z`, { argument: arg });
  return toDbTime(d.toISOString());
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], arg: string): T | null {
  if (value == null) return null;
  // A misspelt filter must not read as "nothing was disclosed".
  if (!(allowed as readonly string[]).includes(value)) throw badInput(`"${arg}" must be one of ${allowed.join(', ')}`, { argument: arg });
  return value as T;
}

/** Validate a filter: unknown names and malformed ids or times are BAD_USER_INPUT. */
export function parseAuditFilter(input: AuditFilterInput | null | undefined): AuditQuery {
  const f = input ?? {};
  let subjectId: number | null = null;
  if (f.subjectId != null) {
    const s = String(f.subjectId);
    if (!/^\d{1,15}$/.test(s) || Number(s) < 1) throw badInput('"subjectId" must be a user id', { argument: 'subjectId' });
    subjectId = Number(s);
  }
  if (f.clientId != null && !CLIENT_ID.test(f.clientId)) throw badInput('"clientId" must be a client id', { argument: 'clientId' });
  const q: AuditQuery = {
    subjectId,
    clientId: f.clientId ?? null,
    purpose: oneOf(f.purpose, PURPOSES, 'purpose'),
    category: oneOf(f.category, CATEGORIES, 'category'),
    decision: oneOf(f.decision, DECISIONS, 'decision'),
    from: time(f.from, 'from'),
    to: time(f.to, 'to'),
  };
  if (q.from && q.to && q.from >= q.to) throw badInput('"from" must be before "to"', { argument: 'from' });
  return q;
}

/** The WHERE conditions of a filter (joined with AND), with their parameters. */
export function filterConditions(q: AuditQuery): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    conditions.push(sql);
    params.push(value);
  };
  if (q.subjectId !== null) add('subject_id = ?', q.subjectId);
  if (q.clientId !== null) add('client_id = ?', q.clientId);
  if (q.purpose !== null) add('purpose = ?', q.purpose);
  if (q.category !== null) add('category = ?', q.category);
  if (q.decision !== null) add('decision = ?', q.decision);
  if (q.from !== null) add('at >= ?', q.from);
  if (q.to !== null) add('at < ?', q.to);
  return { conditions, params };
}
