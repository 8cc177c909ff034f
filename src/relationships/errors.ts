import { InputError } from '../errors';

/**
 * A relationship fact that cannot be recorded as asked: nothing was written. `code` is stable;
 * `argument` names the input at fault. The GraphQL API answers it as BAD_USER_INPUT, the CLIs
 * print it and exit non-zero.
 */
export class RelationshipError extends InputError<'BAD_USER_INPUT' | 'UNKNOWN_USER' | 'UNKNOWN_CLIENT' | 'NOT_AN_APP' | 'CASE_EXISTS' | 'UNKNOWN_CASE' | 'NOT_AUTHORIZED'> {
  override readonly name = 'RelationshipError';
}
