import { Stores1764000000000 } from './1764000000000-Stores';
import { AuditStore1764100000000 } from './1764100000000-AuditStore';
import { TrustedDocuments1764300000000 } from './1764300000000-TrustedDocuments';
import { ErasureNotices1764300000001 } from './1764300000001-ErasureNotices';
import { ConsoleReview1764400000000 } from './1764400000000-ConsoleReview';
import { AuditBatches1764500000000 } from './1764500000000-AuditBatches';
import { RelationshipScope1764600000000 } from './1764600000000-RelationshipScope';
import { SubjectRequests1764700000000 } from './1764700000000-SubjectRequests';
import { VerificationJobs1764800000000 } from './1764800000000-VerificationJobs';
import { PolicyLedger1764900000000 } from './1764900000000-PolicyLedger';
import { AuditChainMarks1765000000000 } from './1765000000000-AuditChainMarks';
import { RightsFollowUp1765000000001 } from './1765000000001-RightsFollowUp';

/** Migrations in order; each store's module appends its own here. */
export const MIGRATIONS = [Stores1764000000000, AuditStore1764100000000, TrustedDocuments1764300000000, ErasureNotices1764300000001, ConsoleReview1764400000000, AuditBatches1764500000000, RelationshipScope1764600000000, SubjectRequests1764700000000, VerificationJobs1764800000000, PolicyLedger1764900000000, AuditChainMarks1765000000000, RightsFollowUp1765000000001];
