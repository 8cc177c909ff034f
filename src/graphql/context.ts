import type { DataSource } from 'typeorm';
import type { Caller } from '../callers/registry';
import type { Disclosure } from '../enforcement/disclosure';
import type { Loaders } from '../loaders';

/** What every resolver of one request can see. Enforcement adds its own state under `disclosure`. */
export interface GatewayContext {
  readonly requestId: string;
  readonly caller: Caller;
  readonly loaders: Loaders;
  readonly ds: DataSource;
  /** "Today" for this request, read once from the clock (a minor's age). */
  readonly requestTime: Date;
  /** Request headers, lower-cased names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Set once the operation's purpose is declared and accepted; absent for operations without one. */
  disclosure?: Disclosure;
  /**
   * Set by the HTTP handler that writes the response: the disclosure plugin hands it the audit
   * commit under way (true once durable, false if it failed) instead of waiting for it itself,
   * so that the response is serialised while the commit runs; the handler sends nothing before
   * it settles, and only AUDIT_UNAVAILABLE if it failed. Without it, the plugin waits.
   */
  holdResponseFor?: (committed: Promise<boolean>) => void;
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
