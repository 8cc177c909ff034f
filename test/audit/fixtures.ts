import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { StoredBatch } from '../../src/audit/batch';
import { toStoredBatch, toStoredRecord } from '../../src/audit/columns';
import type { StoredAuditRecord } from '../../src/audit/record';
import { createDataSource } from '../../src/db/data-source';
import { Disclosure, FieldRecord } from '../../src/enforcement/disclosure';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../../src/policy';
import type { LegalBasis, Purpose } from '../../src/policy';
import type { TestStore } from '../helpers/store';

export const policy = compilePolicy(loadPolicy(defaultPolicyPath()));

const BASES: Partial<Record<Purpose, LegalBasis>> = {
  'service.fulfilment': 'contract', 'service.payment': 'contract', personalization: 'consent', 'security.risk-control': 'legitimate-interest',
  'legal.criminal-investigation': 'legal-exception', account: 'contract', analytics: 'consent',
};

/** A field decision as the enforcement notes it. */
export function fieldRecord(over: Partial<FieldRecord> = {}): FieldRecord {
  return {
    subjectId: 1, entity: 'User', entityId: '1', field: 'phone', category: 'contact.phone',
    decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS', basis: 'contract', consentId: null, ...over,
  };
}

/** A request's disclosure, built directly (no HTTP): who asked, why, when, and its field records. */
export function disclosure(opts: { clientId?: string; purpose?: Purpose; caseRef?: string | null; at?: string | Date; requestId?: string; records?: FieldRecord[] } = {}): Disclosure {
  const purpose = opts.purpose ?? 'service.fulfilment';
  const d = new Disclosure(
    opts.requestId ?? randomUUID(), opts.clientId ?? 'mall-app', purpose, BASES[purpose] ?? 'contract', opts.caseRef ?? null, policy,
    opts.at instanceof Date ? opts.at : new Date(opts.at ?? '2026-11-25T12:00:00.123Z'), false,
  );
  d.records.push(...(opts.records ?? [fieldRecord()]));
  return d;
}

/** n records for one subject (decisions cycle ALLOW, MASK, DENY). */
export function manyRecords(n: number, subjectId = 1): FieldRecord[] {
  const kinds = [
    { decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS' },
    { decision: 'MASK', mask: 'PHONE', reason: 'POLICY_MASKS' },
    { decision: 'DENY', mask: null, reason: 'PURPOSE_FORBIDS' },
  ] as const;
  return Array.from({ length: n }, (_, i) => fieldRecord({ subjectId, entityId: String(subjectId), ...kinds[i % 3] }));
}

export async function allRecords(ds: DataSource, where = '1 = 1', params: unknown[] = []): Promise<StoredAuditRecord[]> {
  return (await ds.query(`SELECT * FROM audit_events WHERE ${where} ORDER BY id`, params)).map(toStoredRecord);
}

/** A second DataSource on the same database, as a second gateway process would hold. */
export async function secondDataSource(store: TestStore): Promise<DataSource> {
  const ds = createDataSource({ databaseUrl: store.databaseUrl, sqliteFile: store.sqliteFile });
  await ds.initialize();
  return ds;
}

/** Run statements that only an operator (or an attacker) would: the gateway has no such path. */
export async function tamper(ds: DataSource, sql: string, params: unknown[] = []): Promise<void> {
  await ds.query(sql, params);
}

export async function allBatches(ds: DataSource, where = '1 = 1', params: unknown[] = []): Promise<StoredBatch[]> {
  return (await ds.query(`SELECT * FROM audit_batches WHERE ${where} ORDER BY id`, params)).map(toStoredBatch);
}
