import { performance } from 'node:perf_hooks';
import { Preflight, Rejection } from '../request/preflight';
import { log } from '../log';

interface Bucket {
  tokens: number;
  at: number;
  /** Refusals since the last request let through: only the first of a run is logged. */
  refused: number;
}

/**
 * Token buckets, one per client: each holds `burstSeconds` of the client's rate and refills
 * continuously at that rate. In memory, per process: with N gateway replicas behind a load
 * balancer, a client's limit applies per replica, so spread evenly (round robin) it may reach
 * N × its rate cluster-wide. For a cluster-wide budget R, give each replica ⌈R / N⌉ (the default
 * RATE_LIMIT_PER_SECOND and each client's rate_limit_per_second); pinning a client to one replica
 * (hash on its key) keeps its limit exact. docs/scale-out.md, "Sizing".
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly burstSeconds: number, private readonly nowMs: () => number = () => performance.now()) {}

  /** Take one token: 0 when taken, otherwise the seconds until one will be there. */
  take(clientId: string, perSecond: number): { wait: number; firstRefusal: boolean } {
    const t = this.nowMs();
    const capacity = Math.max(1, perSecond * this.burstSeconds);
    const b = this.buckets.get(clientId) ?? { tokens: capacity, at: t, refused: 0 };
    b.tokens = Math.min(capacity, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(clientId, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.refused = 0;
      return { wait: 0, firstRefusal: false };
    }
    b.refused++;
    return { wait: (1 - b.tokens) / perSecond, firstRefusal: b.refused === 1 };
  }
}

/**
 * Per-client rate limit (the client's `rate_limit_per_second`, or the default; 0: none):
 * over it, HTTP 429 RATE_LIMITED with `Retry-After` in whole seconds.
 */
export function rateLimit(defaultPerSecond: number, burstSeconds: number): Preflight {
  const buckets = new TokenBuckets(burstSeconds);
  return ({ caller }) => {
    const perSecond = caller.rateLimitPerSecond ?? defaultPerSecond;
    if (!(perSecond > 0)) return;
    const { wait, firstRefusal } = buckets.take(caller.id, perSecond);
    if (wait === 0) return;
    const retryAfter = Math.max(1, Math.ceil(wait));
    if (firstRefusal) log.warn({ client: caller.id, perSecond }, 'rate limit reached');
    throw new Rejection('RATE_LIMITED', `Client "${caller.id}" is over its rate of ${perSecond} requests per second; retry after ${retryAfter} s`, { 'retry-after': String(retryAfter) }, { retryAfter });
  };
}
