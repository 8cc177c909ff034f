/**
 * A relationship fact that cannot be recorded as asked: nothing was written. `code` is stable;
 * `argument` names the input at fault. The GraphQL API answers it as BAD_USER_INPUT, the CLIs
 * print it and exit non-zero.
 */
export class RelationshipError extends Error {
  override readonly name = 'RelationshipError';

  constructor(
    readonly code: 'BAD_USER_INPUT' | 'UNKNOWN_USER' | 'UNKNOWN_CLIENT' | 'NOT_AN_APP' | 'CASE_EXISTS' | 'UNKNOWN_CASE' | 'NOT_AUTHORIZED',
    message: string,
    readonly argument: string,
  ) {
    super(message);
  }
}
