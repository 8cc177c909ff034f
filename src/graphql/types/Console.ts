import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Consent } from './Consent';

/** The auditor-only types the review console needs beyond SPEC §6 (SPEC §9). */

export const TimeBucket = { HOUR: 'HOUR', DAY: 'DAY' } as const;
registerEnumType(TimeBucket, { name: 'TimeBucket', description: 'The width of one bar of an activity series (UTC hours or days).' });

export const VerificationState = { RUNNING: 'RUNNING', PASSED: 'PASSED', FAILED: 'FAILED', ERROR: 'ERROR' } as const;
registerEnumType(VerificationState, { name: 'VerificationState' });

export const RecordsFormat = { CSV: 'CSV', NDJSON: 'NDJSON' } as const;
registerEnumType(RecordsFormat, { name: 'RecordsFormat' });

@ObjectType({ description: 'The signed-in auditor, the gateway\'s clock and the policy\'s vocabulary, for the console\'s forms.' })
export class ConsoleSession {
  @Field(() => ID)
  clientId!: string;

  @Field()
  displayName!: string;

  @Field({ description: 'The gateway\'s time (ISO-8601 UTC): audit times are on this clock.' })
  serverTime!: string;

  @Field(() => [String])
  purposes!: string[];

  @Field(() => [String])
  categories!: string[];
}

@ObjectType({ description: 'The relationship scope one registered purpose gives a client: about whom it may see anything at all.' })
export class PurposeScope {
  @Field({ description: 'The purpose the client is registered for (a parent such as `legal` covers its children).' })
  purpose!: string;

  @Field({ description: 'all | orders | provider | authorized | case, from the policy file.' })
  scope!: string;

  @Field({ description: 'What the scope puts in reach, in words.' })
  meaning!: string;

  @Field(() => [String], { description: 'The declarable purposes behind this entry that have this scope (the purpose itself, or its children).' })
  declarable!: string[];
}

@ObjectType({ description: 'A registered client, as the review sees it (no key material).' })
export class ConsoleClient {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Free text given at registration: display it as text.' })
  displayName!: string;

  @Field()
  kind!: string;

  @Field()
  role!: string;

  @Field(() => [String])
  purposes!: string[];

  @Field(() => [String], { description: 'Payment providers it is registered for: what a purpose whose scope is `provider` may see.' })
  providers!: string[];

  @Field(() => [PurposeScope], { description: 'The relationship scope of each registered purpose under the current policy, in registration order.' })
  scopes!: PurposeScope[];

  @Field()
  disabled!: boolean;
}

/** Field decisions counted by kind; the buckets and categories below share it. */
@ObjectType()
abstract class DecisionCounts {
  @Field(() => Int)
  allow!: number;

  @Field(() => Int)
  mask!: number;

  @Field(() => Int)
  deny!: number;
}

@ObjectType()
export class DecisionBucket extends DecisionCounts {
  @Field({ description: 'The bucket\'s first instant, ISO-8601 UTC.' })
  start!: string;
}

@ObjectType()
export class CategoryDecisions extends DecisionCounts {
  @Field()
  category!: string;
}

@ObjectType()
export class DenialReasonCount {
  @Field()
  reason!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'One client\'s field decisions over a time range, aggregated in the database.' })
export class ClientActivity {
  @Field(() => ID)
  clientId!: string;

  @Field()
  from!: string;

  @Field()
  to!: string;

  @Field(() => TimeBucket, { description: 'HOUR for ranges up to three days, DAY beyond.' })
  bucket!: keyof typeof TimeBucket;

  @Field(() => [DecisionBucket], { description: 'Every bucket of the range in time order, empty ones included.' })
  buckets!: DecisionBucket[];

  @Field(() => [CategoryDecisions], { description: 'Categories decided for this client in the range, most released first.' })
  categories!: CategoryDecisions[];

  @Field(() => [DenialReasonCount], { description: 'Its most frequent denial reasons (up to 10).' })
  denialReasons!: DenialReasonCount[];

  @Field(() => Int, { description: 'Rows refused as outside its relationship scope (reason OUT_OF_SCOPE, one per entity refused by id), whatever their rank among the reasons.' })
  outOfScope!: number;
}

@ObjectType({ description: 'One client\'s field decisions over a time range (clientDecisionTotals).' })
export class ClientDecisionTotals extends DecisionCounts {
  @Field(() => ID)
  clientId!: string;
}

@ObjectType({ description: 'One audit hash chain: its length, head and last verification.' })
export class AuditChainStatus {
  @Field(() => ID)
  chainId!: string;

  @Field()
  startedAt!: string;

  @Field(() => Float, { description: 'Records in the chain (its head\'s sequence number).' })
  length!: number;

  @Field()
  headHash!: string;

  @Field(() => String, { nullable: true })
  lastVerifiedAt!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Null: never verified.' })
  lastVerifiedOk!: boolean | null;

  @Field(() => String, { nullable: true })
  lastVerifiedDetail!: string | null;
}

@ObjectType()
export class ChainVerificationResult {
  @Field(() => ID)
  chainId!: string;

  @Field(() => Float)
  length!: number;

  @Field()
  ok!: boolean;

  @Field(() => ID, { nullable: true, description: 'The first record that was changed, removed or inserted.' })
  firstBadRecordId!: number | null;

  @Field(() => String, { nullable: true })
  problem!: string | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

@ObjectType({ description: 'A verification of every audit chain, started from the console and polled for progress.' })
export class ChainVerification {
  @Field(() => ID)
  id!: string;

  @Field(() => VerificationState)
  state!: keyof typeof VerificationState;

  @Field(() => Float)
  checked!: number;

  @Field(() => Float)
  total!: number;

  @Field()
  startedAt!: string;

  @Field(() => String, { nullable: true })
  finishedAt!: string | null;

  @Field(() => Boolean, { nullable: true })
  ok!: boolean | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;

  @Field(() => [ChainVerificationResult])
  chains!: ChainVerificationResult[];
}

@ObjectType({ description: 'A subject as the review sees it beside the disclosure report.' })
export class SubjectReview {
  @Field(() => ID)
  subjectId!: number;

  @Field()
  exists!: boolean;

  @Field()
  erased!: boolean;

  @Field(() => String, { nullable: true })
  erasedAt!: string | null;

  @Field(() => [Consent], { description: 'Every consent, withdrawn ones included, oldest first.' })
  consents!: Consent[];
}

@ObjectType({ description: 'A single-use link, valid for a minute, that streams a subject\'s audit records.' })
export class RecordsDownload {
  @Field({ description: 'A path on this gateway; follow it with a plain GET (no key needed).' })
  url!: string;

  @Field()
  expiresAt!: string;

  @Field(() => RecordsFormat)
  format!: keyof typeof RecordsFormat;
}
