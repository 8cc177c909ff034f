import type { ApolloServerPlugin } from '@apollo/server';
import { gatewayError } from '../errors';
import type { GatewayContext, RequestState } from './context';

/**
 * The execution deadline (EXECUTION_TIMEOUT_MS): a query still running when it expires is given
 * up. The client gets 504 EXECUTION_TIMEOUT and nothing of the response; since nothing leaves,
 * nothing of it is audited. It is given up wherever it is caught past its deadline: by the timer
 * while it awaits a read (at once), at its next statement (its loaders start none), or at its
 * audit commit (RequestState.expired). A request whose audit commit has started is past
 * the point of no return (its response leaves as soon as the commit is durable), and a mutation
 * is never given up part-way (its writes would land after the client was told it failed): both
 * run to their end.
 */

/** What the loaders of an abandoned request throw instead of reading. */
export function executionTimeout(): Error {
  return gatewayError('EXECUTION_TIMEOUT', 'The operation did not finish in time; nothing of it was sent');
}

/** `work`'s outcome, or null if the request was given up when its deadline's timer fired (request.abandon()). */
export function withinDeadline<T>(work: Promise<T>, request: RequestState): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (request.abandon()) resolve(null);
    }, Math.max(0, request.deadlineAt - performance.now()));
    work.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}

/** Tells the request what kind of operation it runs (a mutation is never abandoned), and runs none that was abandoned meanwhile. */
export const deadlinePlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operation }) {
        contextValue.request.operation = operation?.operation ?? null;
        if (contextValue.request.abandoned) throw executionTimeout();
      },
    };
  },
};
