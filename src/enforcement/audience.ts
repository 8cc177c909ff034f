import { Extensions } from 'type-graphql';

/** The `extensions` key that says who a root field is for. */
export const AUDIENCE = 'audience';

/**
 * Marks a root field as for auditors only (role `auditor` declaring `audit.review`): its resolver
 * refuses anyone else, and a reader's `GET /schema.graphql` leaves it out (with the types only it uses).
 */
export function AuditorOnly(): MethodDecorator {
  return Extensions({ [AUDIENCE]: 'auditor' }) as MethodDecorator;
}
