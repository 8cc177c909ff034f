import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Gender } from './enums';

export const SubjectRequestKind = { ACCESS: 'ACCESS', CORRECTION: 'CORRECTION', ERASURE: 'ERASURE', CONSENT_CHANGE: 'CONSENT_CHANGE', EXPLANATION: 'EXPLANATION' } as const;
export const SubjectRequestState = { OPEN: 'OPEN', DONE: 'DONE', REFUSED: 'REFUSED' } as const;
export const SubjectRequestOutcome = { DONE: 'DONE', REFUSED: 'REFUSED' } as const;
export const RefusalGround = {
  STATE_SECURITY: 'STATE_SECURITY', PUBLIC_SECURITY: 'PUBLIC_SECURITY', CRIMINAL_INVESTIGATION: 'CRIMINAL_INVESTIGATION',
  ABUSE_OF_RIGHTS: 'ABUSE_OF_RIGHTS', HARM_TO_OTHERS: 'HARM_TO_OTHERS', TRADE_SECRET: 'TRADE_SECRET',
} as const;
export const CorrectionNoticeStatus = { OPEN: 'OPEN', ACKNOWLEDGED: 'ACKNOWLEDGED' } as const;

registerEnumType(SubjectRequestKind, { name: 'SubjectRequestKind', description: "The rights of the privacy policy's §6: access, correction, deletion, change of consent, an explanation of an automated decision." });
registerEnumType(SubjectRequestState, { name: 'SubjectRequestState' });
registerEnumType(SubjectRequestOutcome, { name: 'SubjectRequestOutcome' });
registerEnumType(RefusalGround, { name: 'RefusalGround', description: "The privacy policy's §6(6): the only grounds on which a request may be refused." });
registerEnumType(CorrectionNoticeStatus, { name: 'CorrectionNoticeStatus' });

@ObjectType({ description: 'One step of a request\'s history. Never a personal value.' })
export class SubjectRequestEvent {
  @Field(() => String)
  at!: string;

  @Field({ description: 'OPENED, CORRECTED, COPY_ISSUED, ERASED, DONE, REFUSED, or NOTICE_ADDED (a recipient\'s notice opened afterwards by the gateway, for a request in flight as the erasure or correction ran).' })
  action!: string;

  @Field(() => ID)
  clientId!: string;

  @Field(() => String, { nullable: true, description: 'Field names, counts or the refusal ground.' })
  detail!: string | null;
}

@ObjectType({ description: 'A data subject\'s request (access, correction, erasure, a change of consent or an explanation), due 30 days after it was opened.' })
export class SubjectRequest {
  @Field(() => ID)
  id!: number;

  @Field(() => ID)
  userId!: number;

  @Field(() => SubjectRequestKind)
  kind!: keyof typeof SubjectRequestKind;

  @Field(() => SubjectRequestState)
  state!: keyof typeof SubjectRequestState;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String)
  openedAt!: string;

  @Field(() => String, { description: 'openedAt + 30 days (ISO-8601 UTC).' })
  dueAt!: string;

  @Field(() => String, { nullable: true })
  closedAt!: string | null;

  @Field(() => SubjectRequestOutcome, { nullable: true })
  outcome!: keyof typeof SubjectRequestOutcome | null;

  @Field(() => RefusalGround, { nullable: true })
  refusalGround!: keyof typeof RefusalGround | null;

  @Field({ description: 'Open past its due date, by the gateway\'s clock.' })
  overdue!: boolean;

  @Field(() => ID)
  openedBy!: string;

  @Field(() => [SubjectRequestEvent], { description: 'What was done, oldest first.' })
  history!: SubjectRequestEvent[];
}

@InputType()
export class OpenSubjectRequestInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => SubjectRequestKind)
  kind!: keyof typeof SubjectRequestKind;

  @Field(() => String, { nullable: true, description: 'What was asked (at most 500 characters).' })
  note?: string | null;
}

@InputType()
export class SubjectRequestFilter {
  @Field(() => ID, { nullable: true })
  userId?: string | null;

  @Field(() => SubjectRequestKind, { nullable: true })
  kind?: keyof typeof SubjectRequestKind | null;

  @Field(() => SubjectRequestState, { nullable: true })
  state?: keyof typeof SubjectRequestState | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only open requests past their due date.' })
  overdue?: boolean | null;
}

@InputType()
export class CloseSubjectRequestInput {
  @Field(() => ID)
  id!: string;

  @Field(() => SubjectRequestOutcome)
  outcome!: keyof typeof SubjectRequestOutcome;

  @Field(() => RefusalGround, { nullable: true, description: 'Required with REFUSED, and only then.' })
  refusalGround?: keyof typeof RefusalGround | null;
}

@InputType({ description: 'Only the fields given change; null clears one.' })
export class CorrectSubjectInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => ID, { description: 'The subject\'s open CORRECTION request; it is closed DONE.' })
  requestId!: string;

  @Field(() => String, { nullable: true })
  nickname?: string | null;

  @Field(() => String, { nullable: true })
  signature?: string | null;

  @Field(() => Gender, { nullable: true })
  gender?: string | null;

  @Field(() => String, { nullable: true })
  realName?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  city?: string | null;
}

@ObjectType({ description: 'A recipient\'s duty to correct what it received about a subject, after a CORRECTION request: categories only, never a value.' })
export class CorrectionNotice {
  @Field(() => ID)
  id!: number;

  @Field(() => ID)
  subjectId!: number;

  @Field(() => ID)
  clientId!: string;

  @Field(() => ID, { description: 'The CORRECTION request it comes from.' })
  requestId!: number;

  @Field(() => [String])
  categories!: string[];

  @Field(() => CorrectionNoticeStatus)
  status!: keyof typeof CorrectionNoticeStatus;

  @Field(() => String)
  openedAt!: string;

  @Field(() => String, { nullable: true })
  acknowledgedAt!: string | null;
}
