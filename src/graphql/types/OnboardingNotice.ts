import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export const ErasureNoticeStatus = { OPEN: 'OPEN', ACKNOWLEDGED: 'ACKNOWLEDGED' } as const;
registerEnumType(ErasureNoticeStatus, { name: 'ErasureNoticeStatus', description: 'OPEN until the recipient confirms deletion.' });

@ObjectType({ description: "A recipient's duty to delete an erased subject's data: opened by requestErasure, closed by acknowledgeErasure." })
export class ErasureNotice {
  @Field(() => ID)
  id!: number;

  @Field(() => ID, { description: 'The erased subject.' })
  subjectId!: number;

  @Field(() => ID, { description: 'The recipient that must delete.' })
  clientId!: string;

  @Field(() => ErasureNoticeStatus)
  status!: keyof typeof ErasureNoticeStatus;

  @Field({ description: 'ISO-8601 UTC.' })
  openedAt!: string;

  @Field(() => String, { nullable: true })
  acknowledgedAt!: string | null;

  @Field(() => Int, { description: 'Whole days the notice has been open (until its acknowledgement, once acknowledged).' })
  ageDays!: number;
}
