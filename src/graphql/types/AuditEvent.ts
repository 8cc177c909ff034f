import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './PageInfo';

export const AuditDecision = { ALLOW: 'ALLOW', MASK: 'MASK', DENY: 'DENY' } as const;
registerEnumType(AuditDecision, { name: 'AuditDecision', description: 'What the policy decided for one field.' });

@ObjectType({ description: 'One field decision in the sharing audit: who received which category of whose data, for what. Never the value.' })
export class AuditEvent {
  @Field(() => ID)
  id!: number;

  @Field()
  requestId!: string;

  @Field(() => String, { description: 'ISO-8601 UTC, milliseconds.' })
  at!: string;

  @Field(() => ID)
  clientId!: string;

  @Field()
  purpose!: string;

  @Field(() => String, { nullable: true })
  caseRef!: string | null;

  @Field(() => ID, { nullable: true })
  subjectId!: number | null;

  @Field({ description: 'The GraphQL type of the row the field belongs to.' })
  entity!: string;

  @Field(() => ID)
  entityId!: string;

  @Field()
  field!: string;

  @Field()
  category!: string;

  @Field(() => AuditDecision)
  decision!: keyof typeof AuditDecision;

  @Field(() => String, { nullable: true })
  mask!: string | null;

  @Field()
  reason!: string;

  @Field()
  basis!: string;

  @Field()
  policyVersion!: string;

  @Field(() => ID, { nullable: true, description: 'The consent a consent-basis disclosure relied on.' })
  consentId!: string | null;

  @Field({ description: 'The hash chain (one per gateway process) and this record\'s place in it.' })
  chainId!: string;

  @Field(() => Int)
  seq!: number;

  @Field()
  hash!: string;
}

@ObjectType()
export class AuditEventEdge {
  @Field()
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'Every given filter must match. Times are ISO-8601 (a date is midnight UTC): from inclusive, to exclusive.' })
export class AuditFilter {
  @Field(() => ID, { nullable: true })
  subjectId?: string | null;

  @Field(() => ID, { nullable: true })
  clientId?: string | null;

  @Field(() => String, { nullable: true })
  purpose?: string | null;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => AuditDecision, { nullable: true })
  decision?: keyof typeof AuditDecision | null;

  @Field(() => String, { nullable: true })
  from?: string | null;

  @Field(() => String, { nullable: true })
  to?: string | null;
}
