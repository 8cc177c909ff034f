import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A subject\'s consent to one purpose, for every client or one client.' })
export class Consent {
  @Field(() => ID)
  id!: number;

  @Field(() => ID)
  userId!: number;

  @Field()
  purpose!: string;

  @Field(() => ID, { nullable: true, description: 'Null: given to every client.' })
  clientId!: string | null;

  @Field()
  byGuardian!: boolean;

  @Field(() => String)
  grantedAt!: string;

  @Field(() => String, { nullable: true })
  withdrawnAt!: string | null;

  @Field()
  active!: boolean;
}

@InputType()
export class GrantConsentInput {
  @Field(() => ID)
  userId!: string;

  @Field()
  purpose!: string;

  @Field(() => ID, { nullable: true, description: 'Omit for a consent to every client.' })
  clientId?: string | null;

  @Field({ defaultValue: false })
  byGuardian!: boolean;
}

@InputType()
export class WithdrawConsentInput {
  @Field(() => ID)
  userId!: string;

  @Field()
  purpose!: string;

  @Field(() => ID, { nullable: true })
  clientId?: string | null;
}
