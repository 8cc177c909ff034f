import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Sensitive } from '../directives';
import { OrderStatus } from './enums';
import { PageInfo } from './PageInfo';

@ObjectType()
export class OrderItem {
  @Field()
  sku!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Int, { description: 'Minor units.' })
  unitPrice!: number;
}

@ObjectType()
export class Order {
  @Field(() => ID)
  id!: number;

  @Field()
  orderNo!: string;

  @Field(() => OrderStatus)
  status!: string;

  @Field({ description: 'The client the order was placed through (a client id, not personal data): a purpose whose relationship scope is `orders` sees the orders placed through its own client.' })
  channel!: string;

  @Sensitive('transaction.order')
  @Field(() => Int, { nullable: true, description: 'Minor units of currency.' })
  totalAmount!: number | null;

  @Field(() => String, { nullable: true })
  currency!: string | null;

  @Sensitive('identity.name')
  @Field(() => String, { nullable: true })
  recipientName!: string | null;

  @Sensitive('contact.phone')
  @Field(() => String, { nullable: true })
  recipientPhone!: string | null;

  @Sensitive('contact.address')
  @Field(() => String, { nullable: true })
  shippingAddress!: string | null;
}

@ObjectType()
export class OrderEdge {
  @Field()
  cursor!: string;

  @Field(() => Order)
  node!: Order;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge])
  edges!: OrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
