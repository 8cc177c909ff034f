import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit/adapter';
import type { Caller } from '../callers/registry';
import type { Disclosure } from '../enforcement/disclosure';
import type { Loaders } from '../loaders';
import type { CheckContext } from '../onboarding/check-operation';
import type { ChainVerifications } from '../review/verification';

/**
 * One request's own state, created by whoever starts the request (the HTTP handler, the access
 * copy, a benchmark) and handed to its code through the context. Apollo gives each operation a
 * shallow copy of the context, so what changes during a request cannot be a field of the context
 * (a plugin's write would stay on its copy): it lives here, shared by reference by every copy.
 * What changes is only the disclosure, declared at most once, when the purpose is accepted.
 */
export class RequestState {
  #disclosure: Disclosure | null = null;
  /** running → committing (the audit commit started: the response will leave) or abandoned (it never will). */
  #progress: 'running' | 'committing' | 'abandoned' = 'running';
  /** When it is given up if still running (a performance.now() time; src/request/deadline.ts). */
  #deadlineAt = Infinity;
  /** The operation's type, once Apollo has resolved it (src/request/deadline.ts): a mutation is never given up. */
  operation: 'query' | 'mutation' | 'subscription' | null = null;

  constructor(
    /** The request id: `X-Request-Id`, and what its audit records carry. */
    readonly id: string,
    /** "Today" for this request, read once from the clock (a minor's age, consent, retention). */
    readonly at: Date,
    /** Request headers, lower-cased names. */
    readonly headers: ReadonlyMap<string, string>,
  ) {}

  /** The disclosure of the accepted purpose; null before, and for operations that declare none. */
  get disclosure(): Disclosure | null {
    return this.#disclosure;
  }


  /** Given up at its deadline: its response will never be sent. */
  get abandoned(): boolean {
    return this.#progress === 'abandoned';
  }

  /** Sets the deadline (the HTTP handler, from EXECUTION_TIMEOUT_MS); without one a request never expires. */
  expireAt(deadlineAt: number): void {
    this.#deadlineAt = deadlineAt;
  }

  get deadlineAt(): number {
    return this.#deadlineAt;
  }

  /**
   * Whether the request is given up, giving it up first if its deadline has passed: read where it
   * moves on (each statement of its loaders, its audit commit), since the deadline's timer can
   * only fire while the event loop waits (on SQLite, whose reads hold the loop, it may not).
   */
  expired(): boolean {
    return this.abandoned || (performance.now() > this.#deadlineAt && this.abandon());
  }

  /**
   * At the deadline: give the request up, unless its audit commit has started (its response is
   * about to leave) or it is a mutation (its writes would land after the client was told it
   * failed). True if given up.
   */
  abandon(): boolean {
    if (this.#progress !== 'running' || this.operation === 'mutation' || this.operation === 'subscription') return false;
    this.#progress = 'abandoned';
    return true;
  }

  /** Before the audit commit: false if the request was given up, or is now, past its deadline (no response leaves, so there is nothing to audit). */
  beginCommit(): boolean {
    if (this.expired()) return false;
    this.#progress = 'committing';
    return true;
  }

  /** Once, when the request's purpose is accepted (enforcement/plugin.ts); a second declaration is a bug. */
  declare(disclosure: Disclosure): void {
    if (this.#disclosure) throw new Error(`request ${this.id}: a disclosure is already declared`);
    if (disclosure.requestId !== this.id) throw new Error(`request ${this.id}: the disclosure is for request ${disclosure.requestId}`);
    this.#disclosure = disclosure;
  }
}

/** What every resolver of one request can see; nothing of it is reassigned during the request. */
export interface GatewayContext {
  /** This request's state (its disclosure among it): the same object in every copy of the context. */
  readonly request: RequestState;
  readonly caller: Caller;
  readonly loaders: Loaders;
  readonly ds: DataSource;
  /** What `checkOperation` checks a document against: the gateway's schema and policy (built once, src/app.ts). */
  readonly operationCheck: CheckContext;
  /** The console's chain verification jobs of this gateway's store (built once, src/app.ts). */
  readonly verifications: ChainVerifications;
  /** Read-your-writes for whatever reads audit_events (the review API, erasure, corrections, the console). */
  readonly audit: AuditReads;
  /**
   * Set by the HTTP handler that writes the response: the disclosure plugin hands it the audit
   * commit under way (true once durable, false if it failed) instead of waiting for it itself,
   * so that the response is serialised while the commit runs; the handler sends nothing before
   * it settles, and only AUDIT_UNAVAILABLE if it failed. Without it, the plugin waits.
   */
  readonly holdResponseFor?: (committed: Promise<boolean>) => void;
}

/** The gateway's services its resolvers reach, built once (src/app.ts) and handed to whoever builds a context. */
export type ResolverServices = Pick<GatewayContext, 'operationCheck' | 'verifications' | 'audit'>;

/** A request's context: the request's own state, its caller and loaders, and the gateway's services. */
export function gatewayContext(parts: Pick<GatewayContext, 'request' | 'caller' | 'loaders' | 'ds' | 'holdResponseFor'> & ResolverServices): GatewayContext {
  return { ...parts };
}

/** A GraphQL ID argument as a row id; anything that is not one simply matches no row. */
export function rowId(id: string | number): number | null {
  const n = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function toIso(value: Date | string | null | undefined): string | null {
  if (value == null) return null;
  const d = value instanceof Date ? value : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : value.replace(' ', 'T') + 'Z');
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
