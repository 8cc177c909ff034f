import type { GraphQLResolveInfo, ResponsePath } from 'graphql';
import { responsePathAsArray } from 'graphql';
import type { Subject } from '../loaders';
import { CompiledPolicy, FieldDecision, Purpose, subjectFacts, SubjectFacts, Category, LegalBasis } from '../policy';

/** One categorised field resolution, as the audit stores it: ids and the decision, never the value. */
export interface FieldRecord {
  subjectId: number | null;
  entity: string;
  entityId: string;
  /** The field, or `*` for a whole row refused by scope (SPEC §11). */
  field: string;
  /** The field's category, or `*` for a whole row refused by scope. */
  category: Category | '*';
  decision: FieldDecision['decision'];
  mask: FieldDecision['mask'];
  reason: FieldDecision['reason'];
  basis: LegalBasis;
  consentId: string | null;
}

/** A denied field's entry in `errors`, appended as a plain object after execution (no thrown error, no stack). */
export interface DenialEntry {
  message: string;
  path: (string | number)[];
  extensions: { code: 'FIELD_DENIED'; reason: string; purpose: string; category: string };
}

export interface ExplainEntry {
  path: (string | number)[];
  category: string;
  decision: string;
  mask: string | null;
  reason: string;
  basis: string;
}

/**
 * The disclosure state of one request with a declared purpose: who asks, why, and every
 * categorised field decided so far (for the audit, the counts and `X-Explain`).
 */
export class Disclosure {
  readonly records: FieldRecord[] = [];
  readonly denials: DenialEntry[] = [];
  readonly explain: ExplainEntry[] | null;
  allowed = 0;
  masked = 0;
  denied = 0;
  /** Set when execution has produced the response: later decisions belong to nothing that is served. */
  private closed = false;
  /** Where each record's field is in the response (records[i] ↔ paths[i]): a reference, no array built. */
  private readonly paths: ResponsePath[] = [];
  private readonly facts = new Map<number, SubjectFacts>();

  constructor(
    readonly requestId: string,
    readonly clientId: string,
    readonly purpose: Purpose,
    readonly basis: LegalBasis,
    readonly caseRef: string | null,
    readonly policy: CompiledPolicy,
    readonly at: Date,
    explain: boolean,
  ) {
    this.explain = explain ? [] : null;
  }

  /** The subject's facts for this purpose and client, computed once per subject per request. */
  factsFor(subject: Subject): SubjectFacts {
    let f = this.facts.get(subject.id);
    if (!f) {
      const consents = subject.consents.map((c) => ({ id: String(c.id), purpose: c.purpose, clientId: c.clientId, byGuardian: !!c.byGuardian, withdrawnAt: c.withdrawnAt }));
      f = subjectFacts(subject, consents, this.purpose, this.clientId, this.at, this.policy);
      this.facts.set(subject.id, f);
    }
    return f;
  }

  /**
   * The response is built: from now on the records, counts and denials stay as they are. When an
   * error nulls a parent, graphql-js lets its children's pending resolvers finish after the
   * result is returned; their decisions disclose nothing and must not reach the audit or counts.
   */
  close(): void {
    this.closed = true;
  }

  /**
   * Before close, when the result has errors (only an error can null a parent): keep only the
   * decisions of fields whose parent object is in `data`. An error that nulls a parent abandons
   * its children; whether their resolvers ran before the response was built depends on the
   * executor (graphql-js stops waiting at the error, graphql-jit finishes every resolver first),
   * and either way they disclose nothing: they reach neither the audit, the counts, the denial
   * entries nor X-Explain, under both executors alike.
   */
  keepServed(data: unknown): void {
    if (this.closed || !this.records.length) return;
    const served = (path: ReadonlyArray<string | number>, upTo: number) => {
      let v: unknown = data;
      for (let i = 0; i < upTo; i++) {
        if (v === null || typeof v !== 'object') return false;
        v = (v as Record<string | number, unknown>)[path[i]];
      }
      return v !== null && typeof v === 'object';
    };
    let kept = 0;
    this.allowed = this.masked = this.denied = 0;
    for (let i = 0; i < this.records.length; i++) {
      const path = responsePathAsArray(this.paths[i]);
      if (!served(path, path.length - 1)) continue;
      const r = this.records[i];
      this.records[kept] = r;
      this.paths[kept++] = this.paths[i];
      if (r.decision === 'ALLOW') this.allowed++;
      else if (r.decision === 'MASK') this.masked++;
      else this.denied++;
    }
    this.records.length = this.paths.length = kept;
    const keep = <T extends { path: (string | number)[] }>(entries: T[]) => {
      let n = 0;
      for (const e of entries) if (served(e.path, e.path.length - 1)) entries[n++] = e;
      entries.length = n;
    };
    keep(this.denials);
    if (this.explain) keep(this.explain);
  }

  /** Count, record for the audit, and (on denial) queue the error entry. */
  note(d: FieldDecision, category: Category, entity: string, entityId: string, subjectId: number | null, consentId: string | null, info: GraphQLResolveInfo): void {
    if (this.closed) return;
    // Paths cost an array per field: built only for a denial or X-Explain, and once for both.
    const path = d.decision === 'DENY' || this.explain ? responsePathAsArray(info.path) : null;
    this.paths.push(info.path);
    this.records.push({ subjectId, entity, entityId, field: info.fieldName, category, decision: d.decision, mask: d.mask, reason: d.reason, basis: d.basis, consentId: d.decision === 'DENY' ? null : consentId });
    if (d.decision === 'ALLOW') this.allowed++;
    else if (d.decision === 'MASK') this.masked++;
    else {
      this.denied++;
      this.denials.push({
        message: `${info.parentType.name}.${info.fieldName} is not released for purpose "${this.purpose}" (${d.reason})`,
        path: path!,
        extensions: { code: 'FIELD_DENIED', reason: d.reason, purpose: this.purpose, category },
      });
    }
    this.explain?.push({ path: path!, category, decision: d.decision, mask: d.mask, reason: d.reason, basis: d.basis });
  }

  /**
   * A row asked for by id that is out of scope, or missing (the two are recorded alike, so that
   * neither the response nor its timing tells them apart): one DENY record for the whole row.
   */
  noteOutOfScope(entity: string, entityId: string, subjectId: number | null, info: GraphQLResolveInfo): void {
    if (this.closed) return;
    this.paths.push(info.path);
    this.records.push({ subjectId, entity, entityId, field: '*', category: '*', decision: 'DENY', mask: null, reason: 'OUT_OF_SCOPE', basis: this.basis, consentId: null });
    this.denied++;
    this.explain?.push({ path: responsePathAsArray(info.path), category: '*', decision: 'DENY', mask: null, reason: 'OUT_OF_SCOPE', basis: this.basis });
  }

  summary() {
    return { requestId: this.requestId, purpose: this.purpose, policyVersion: this.policy.version, allowed: this.allowed, masked: this.masked, denied: this.denied };
  }
}
