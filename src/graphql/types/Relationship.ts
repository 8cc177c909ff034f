import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';

@ObjectType({ description: "A user's authorisation of a third-party app: while active, the app's `authorized`-scope purposes may see the user. Kept with its history." })
export class AppAuthorization {
  @Field(() => ID)
  id!: number;

  @Field(() => ID)
  userId!: number;

  @Field(() => ID)
  clientId!: string;

  @Field(() => String)
  authorizedAt!: string;

  @Field(() => String, { nullable: true })
  revokedAt!: string | null;

  @Field()
  active!: boolean;
}

@InputType()
export class AppAuthorizationInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => ID, { description: 'The app: a client registered for a purpose whose scope is `authorized`.' })
  clientId!: string;
}

export const LegalCaseState = { OPEN: 'OPEN', CLOSED: 'CLOSED', EXPIRED: 'EXPIRED' } as const;
registerEnumType(LegalCaseState, { name: 'LegalCaseState', description: 'OPEN: may be relied on; CLOSED or EXPIRED: a request citing it is refused with CASE_UNKNOWN.' });

@ObjectType({ description: 'A legal case: its legal purposes release data only about the subjects it names, until it expires or is closed.' })
export class LegalCase {
  @Field()
  caseRef!: string;

  @Field(() => [String])
  purposes!: string[];

  @Field(() => [ID])
  subjectIds!: number[];

  @Field(() => String)
  expiresAt!: string;

  @Field(() => String)
  openedAt!: string;

  @Field(() => ID, { description: 'The client (or `cli`) that registered it.' })
  openedBy!: string;

  @Field(() => String, { nullable: true })
  closedAt!: string | null;

  @Field(() => LegalCaseState)
  state!: keyof typeof LegalCaseState;
}

@InputType()
export class RegisterCaseInput {
  @Field({ description: 'The reference requests cite with @purpose(caseRef:) or X-Case-Ref.' })
  caseRef!: string;

  @Field(() => [String], { description: 'Legal purposes (scope `case`) it may be cited for.' })
  purposes!: string[];

  @Field(() => [ID])
  subjectIds!: string[];

  @Field({ description: 'ISO-8601 date or time in the future (a date means its end, UTC).' })
  expiresAt!: string;
}
