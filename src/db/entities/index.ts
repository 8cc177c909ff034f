import { ApiKey } from './ApiKey';
import { AppAuthorization } from './AppAuthorization';
import { AuditBatch } from './AuditBatch';
import { AuditChain } from './AuditChain';
import { AuditEvent } from './AuditEvent';
import { Client } from './Client';
import { Consent } from './Consent';
import { CorrectionNotice, SubjectCorrection } from './CorrectionNotice';
import { Device } from './Device';
import { ErasureNotice } from './ErasureNotice';
import { LegalCase, LegalCaseSubject } from './LegalCase';
import { Order } from './Order';
import { OrderItem } from './OrderItem';
import { PaymentAccount } from './PaymentAccount';
import { PolicyVersion } from './PolicyVersion';
import { SubjectRequest, SubjectRequestEvent } from './SubjectRequest';
import { TrustedDocument } from './TrustedDocument';
import { User } from './User';

export { ApiKey, AppAuthorization, AuditBatch, AuditChain, AuditEvent, Client, Consent, CorrectionNotice, Device, ErasureNotice, LegalCase, LegalCaseSubject, Order, OrderItem, PaymentAccount, PolicyVersion, SubjectRequest, SubjectCorrection, SubjectRequestEvent, TrustedDocument, User };

/** Every entity the DataSource knows; other stores (audit, documents) append theirs here. */
export const ENTITIES = [User, PaymentAccount, Order, OrderItem, Device, Consent, Client, ApiKey, AuditEvent, AuditBatch, AuditChain, TrustedDocument, ErasureNotice, AppAuthorization, LegalCase, LegalCaseSubject, SubjectRequest, SubjectRequestEvent, CorrectionNotice, PolicyVersion, SubjectCorrection];
