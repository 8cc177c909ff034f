import type { ApolloServerPlugin } from '@apollo/server';
import { gatewayError } from '../errors';
import type { GatewayContext, RequestState } from './context';

/**
 * The execution deadline (EXECUTION_TIMEOUT_MS): a query still running when it expires is given
 * up. The client gets 504 EXECUTION_TIMEOUT at once and nothing of the response; since nothing
 * leaves, nothing of it is audited, and its loaders refuse to start another statement, so that the
 * rest of its execution ends at its next read. A request whose audit commit has started is past
 * the point of no return (its response leaves as soon as the commit is durable), and a mutation
 * is never given up part-way (its writes would land after the client was told it failed): both
 * run to their end.
 */

/** What the loaders of an abandoned request throw instead of reading. */
export function executionTimeout(): Error {
  return gatewayError('EXECUTION_TIMEOUT', 'The operation did not finish in time; nothing of it was sent');
}

/** `work`'s outcome, or null if the request was given up at `deadlineAt` (a performance.now() time; request.abandon()). */
export function withinDeadline<T>(work: Promise<T>, request: RequestState, deadlineAt: number): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (request.abandon()) resolve(null);
    }, Math.max(0, deadlineAt - performance.now()));
    work.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}

/**
 * For the request's loaders: whether it is given up, giving it up first if `deadlineAt` has
 * passed (on SQLite, whose reads hold the event loop, withinDeadline's timer cannot fire before).
 */
export function givenUp(request: RequestState, deadlineAt: number): () => boolean {
  return () => request.abandoned || (performance.now() > deadlineAt && request.abandon());
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
