import { ApiKey } from './ApiKey';
import { AuditBatch } from './AuditBatch';
import { AuditChain } from './AuditChain';
import { AuditEvent } from './AuditEvent';
import { Client } from './Client';
import { Consent } from './Consent';
import { Device } from './Device';
import { ErasureNotice } from './ErasureNotice';
import { Order } from './Order';
import { OrderItem } from './OrderItem';
import { PaymentAccount } from './PaymentAccount';
import { TrustedDocument } from './TrustedDocument';
import { User } from './User';

export { ApiKey, AuditBatch, AuditChain, AuditEvent, Client, Consent, Device, ErasureNotice, Order, OrderItem, PaymentAccount, TrustedDocument, User };

/** Every entity the DataSource knows; other stores (audit, documents) append theirs here. */
export const ENTITIES = [User, PaymentAccount, Order, OrderItem, Device, Consent, Client, ApiKey, AuditEvent, AuditBatch, AuditChain, TrustedDocument, ErasureNotice];
