import type { DataSource } from 'typeorm';
import { Consent, User } from '../db/entities';

export interface SubjectState {
  subjectId: number;
  exists: boolean;
  erasedAt: Date | null;
  /** Every consent ever recorded, withdrawn ones included, oldest first. */
  consents: Consent[];
}

/** What an auditor sees of one subject beside the disclosure report: whether they exist, erasure, consents. */
export async function subjectState(ds: DataSource, subjectId: number): Promise<SubjectState> {
  const [user, consents] = await Promise.all([
    ds.getRepository(User).findOne({ where: { id: subjectId }, select: { id: true, erasedAt: true } }),
    ds.getRepository(Consent).find({ where: { userId: subjectId }, order: { id: 'ASC' } }),
  ]);
  return { subjectId, exists: !!user, erasedAt: user?.erasedAt ?? null, consents };
}
