import { InputError } from '../errors';

/**
 * A data-subject request that cannot be acted on as asked: nothing was written. `code` is stable;
 * `argument` names the input at fault. The GraphQL API answers it as BAD_USER_INPUT with the code
 * as `extensions.reason`; the CLIs print it and exit non-zero.
 */
export class RightsError extends InputError<
  | 'UNKNOWN_USER' | 'UNKNOWN_REQUEST' | 'SUBJECT_ERASED' | 'REQUEST_CLOSED' | 'WRONG_KIND'
  | 'REFUSAL_GROUND_REQUIRED' | 'GROUND_WITHOUT_REFUSAL' | 'NOTHING_TO_CORRECT' | 'BAD_VALUE' | 'USE_REQUEST_ERASURE'
> {
  override readonly name = 'RightsError';
}
