import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What the policy gives one categorised field of a checked operation.' })
export class FieldCheck {
  @Field(() => String, { nullable: true, description: 'The operation the field belongs to; null for an anonymous one.' })
  operation!: string | null;

  @Field({ description: 'The response path execution produces, a list level written `*`: `user.orders.edges.*.node.recipientPhone`.' })
  path!: string;

  @Field({ description: 'Schema coordinate, e.g. `Order.recipientPhone`.' })
  field!: string;

  @Field()
  category!: string;

  @Field({ description: 'ALLOW, MASK or DENY: what the policy gives this client for this purpose.' })
  decision!: string;

  @Field(() => String, { nullable: true })
  mask!: string | null;

  @Field({ description: 'POLICY_ALLOWS, POLICY_MASKS, PURPOSE_FORBIDS, or the purpose rejection (PURPOSE_NOT_PERMITTED…) that denies the whole operation.' })
  reason!: string;

  @Field(() => String, { nullable: true, description: 'Legal basis of the purpose; null when the purpose is unknown.' })
  basis!: string | null;

  @Field(() => String, { nullable: true, description: 'The policy rule that defines the cell.' })
  rule!: string | null;

  @Field(() => [String], {
    description: 'What can still deny the field at run time, in the order the gateway applies them: OUT_OF_SCOPE first, when the purpose\'s relationship scope is not `all` (a row outside it is never returned), then SUBJECT_ERASED, RETENTION_EXPIRED (when the category has a retention period on this field\'s rows), CONSENT_MISSING, GUARDIAN_CONSENT_MISSING. Empty for a denied field.',
  })
  conditions!: string[];

  @Field(() => [String], { description: 'Variable-dependent @include/@skip under which the field runs, one alternative each (`$withPhone && !$lite`); empty: always.' })
  includedIf!: string[];

  @Field(() => String, { nullable: true, description: 'Row condition for this category (`provider = BANK_CARD`); null: always.' })
  when!: string | null;
}

@ObjectType({ description: 'One operation of a checked document.' })
export class CheckedOperation {
  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field()
  type!: string;

  @Field(() => String, { nullable: true })
  purpose!: string | null;

  @Field(() => String, { nullable: true, description: 'The relationship scope of the purpose (all, orders, provider, authorized or case); null when the purpose is refused or none is declared.' })
  scope!: string | null;

  @Field(() => String, { nullable: true, description: 'The code the gateway would refuse the operation with (PURPOSE_NOT_PERMITTED…), or null.' })
  rejection!: string | null;
}

@ObjectType({ description: 'A GraphQL document checked against the policy without reading any data.' })
export class OperationCheck {
  @Field({ description: 'The document parses and passes GraphQL validation.' })
  valid!: boolean;

  @Field(() => String, { nullable: true })
  purpose!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'About whom `purpose` releases anything at all: `all` (every subject and row), `orders` (orders placed through the client and the users who placed them), `provider` (payment accounts of the client\'s registered providers, the orders paid with them and their owners), `authorized` (users who authorised the app) or `case` (subjects of the declared legal case). Null when the operations do not share one accepted purpose. Under any scope but `all`, every released field carries the condition OUT_OF_SCOPE.',
  })
  scope!: string | null;

  @Field()
  policyVersion!: string;

  @Field(() => [String], { description: 'Validation messages when invalid; otherwise the purpose rejections the gateway would answer with.' })
  errors!: string[];

  @Field(() => [String])
  warnings!: string[];

  @Field(() => [CheckedOperation])
  operations!: CheckedOperation[];

  @Field(() => [FieldCheck])
  fields!: FieldCheck[];
}
