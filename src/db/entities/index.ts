import { ApiKey } from './ApiKey';
import { Client } from './Client';
import { Consent } from './Consent';
import { Device } from './Device';
import { Order } from './Order';
import { OrderItem } from './OrderItem';
import { PaymentAccount } from './PaymentAccount';
import { User } from './User';

export { ApiKey, Client, Consent, Device, Order, OrderItem, PaymentAccount, User };

/** Every entity the DataSource knows; other stores (audit, documents) append theirs here. */
export const ENTITIES = [User, PaymentAccount, Order, OrderItem, Device, Consent, Client, ApiKey];
