import { Field, ID, ObjectType } from 'type-graphql';
import { Sensitive } from '../directives';
import { PaymentProvider } from './enums';

@ObjectType()
export class PaymentAccount {
  @Field(() => ID)
  id!: number;

  @Field(() => PaymentProvider)
  provider!: string;

  @Sensitive('financial.account', 'financial.card')
  @Field(() => String, { nullable: true, description: 'Account (e-mail, phone or id); the card number for BANK_CARD.' })
  accountNo!: string | null;

  @Sensitive('identity.name')
  @Field(() => String, { nullable: true })
  holderName!: string | null;

  @Sensitive('financial.card')
  @Field(() => String, { nullable: true, description: 'MM/YY' })
  cardExpiry!: string | null;
}
