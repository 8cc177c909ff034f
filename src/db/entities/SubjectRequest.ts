import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type SubjectRequestKind = 'ACCESS' | 'CORRECTION' | 'ERASURE' | 'CONSENT_CHANGE' | 'EXPLANATION';
export type SubjectRequestState = 'OPEN' | 'DONE' | 'REFUSED';
/** The privacy policy's §6(6): the only grounds on which a request may be refused. */
export type RefusalGround = 'STATE_SECURITY' | 'PUBLIC_SECURITY' | 'CRIMINAL_INVESTIGATION' | 'ABUSE_OF_RIGHTS' | 'HARM_TO_OTHERS' | 'TRADE_SECRET';

/** A data subject's request (SPEC §7, the privacy policy's §6): answered within 30 days. Never deleted. */
@Entity('subject_requests')
@Index('idx_subject_requests_user', ['userId'])
@Index('idx_subject_requests_state_due', ['state', 'dueAt'])
export class SubjectRequest {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  kind!: SubjectRequestKind;

  @Column({ type: 'varchar', length: 16 })
  state!: SubjectRequestState;

  /** What the subject asked, in the operator's words; never read by the gateway. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ name: 'opened_at', type: 'datetime', precision: 3 })
  openedAt!: Date;

  /** openedAt + 30 days: the privacy policy's "we will reply within 30 days". */
  @Column({ name: 'due_at', type: 'datetime', precision: 3 })
  dueAt!: Date;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt!: Date | null;

  @Column({ name: 'refusal_ground', type: 'varchar', length: 32, nullable: true })
  refusalGround!: RefusalGround | null;

  /** The client that opened it. */
  @Column({ name: 'opened_by', type: 'varchar', length: 64 })
  openedBy!: string;
}

/** One step of a request's history: opened, corrected, copy issued, closed. Ids and names only, never a value. */
@Entity('subject_request_events')
@Index('idx_subject_request_events_request', ['requestId'])
export class SubjectRequestEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'request_id', type: 'int' })
  requestId!: number;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ type: 'varchar', length: 32 })
  action!: 'OPENED' | 'CORRECTED' | 'COPY_ISSUED' | 'ERASED' | 'DONE' | 'REFUSED' | 'NOTICE_ADDED';

  /** The client that acted (or `cli`). */
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** What was done, without values: the corrected fields' names, the copy's record counts, the refusal ground. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  detail!: string | null;

  /** The gateway request (X-Request-Id), to find it in the operations log. */
  @Column({ name: 'gateway_request_id', type: 'varchar', length: 64, nullable: true })
  gatewayRequestId!: string | null;
}
