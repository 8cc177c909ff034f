import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A client that received (allowed or masked) some of a subject\'s data.' })
export class Recipient {
  @Field(() => ID)
  clientId!: string;

  @Field(() => [String])
  categories!: string[];

  @Field(() => [String])
  purposes!: string[];

  @Field(() => String)
  firstAt!: string;

  @Field(() => String)
  lastAt!: string;

  @Field(() => Int, { description: 'Fields released to it.' })
  count!: number;
}

@ObjectType({ description: 'The subject is erased; these recipients are to be told.' })
export class ErasureReceipt {
  @Field(() => ID)
  userId!: number;

  @Field(() => String)
  erasedAt!: string;

  @Field(() => [Recipient])
  recipients!: Recipient[];
}
