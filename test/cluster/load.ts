import { KEYS } from '../helpers/gateway';
import type { Outcome } from '../hardening/load';

/**
 * A paced load of personal queries from every partner's demo key (and the internal and
 * third-party ones of test/hardening/load.ts), against one gateway: every response is kept, to
 * be checked against the audit (judgeOutcomes) on every node afterwards.
 */
export const CLUSTER_MIX: { key: string; headers: Record<string, string>; query: (i: number) => string }[] = [
  { key: KEYS.mall, headers: { 'x-purpose': 'service.fulfilment' }, query: (i) => `{ user(id: ${1 + (i % 5)}) { username phone realName city orders(first: 2) { edges { node { recipientPhone shippingAddress } } } } }` },
  { key: KEYS.mall, headers: { 'x-purpose': 'service.after-sales' }, query: (i) => `{ order(id: ${1 + (i % 5)}) { recipientPhone recipientName shippingAddress user { phone } } }` },
  { key: KEYS.alipay, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 1) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  { key: KEYS.wechat, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 2) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  { key: KEYS.unionpay, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 1) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  { key: KEYS.risk, headers: { 'x-purpose': 'security.risk-control' }, query: (i) => `{ user(id: ${1 + (i % 5)}) { phone devices { deviceId ipAddress location { lat lng } } paymentAccounts { accountNo } } }` },
  { key: KEYS.legal, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'GA-2026-0117' }, query: () => '{ users(first: 5) { edges { node { phone realName birthDate } } } }' },
  { key: KEYS.analytics, headers: { 'x-purpose': 'analytics' }, query: () => '{ user(id: 1) { city devices { model deviceId ipAddress } } }' },
];

export interface TimedOutcome extends Outcome {
  /** Date.now() when the response arrived. */
  wall: number;
}

export interface PacedLoad {
  outcomes: TimedOutcome[];
  dropped: number;
  stop(): Promise<void>;
}

/** `workers` loops against `url`, each pausing `paceMs` between requests. */
export function pacedLoad(url: string, workers = 2, paceMs = 40): PacedLoad {
  const started = Date.now();
  let running = true;
  let n = 0;
  const load: PacedLoad = { outcomes: [], dropped: 0, stop: async () => { running = false; await done; } };
  const worker = async (w: number) => {
    await new Promise((r) => setTimeout(r, w * 7));
    while (running) {
      const i = n++;
      const m = CLUSTER_MIX[i % CLUSTER_MIX.length];
      const query = m.query(i);
      try {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${m.key}`, ...m.headers },
          body: JSON.stringify({ query }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        load.outcomes.push({ query, status: res.status, body, text, at: Date.now() - started, wall: Date.now() });
      } catch {
        load.dropped++;
      }
      await new Promise((r) => setTimeout(r, paceMs));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w))).then(() => undefined);
  return load;
}

/** A 200 whose data carries at least one value (a response with personal data, for this mix). */
export function carriesData(o: Outcome): boolean {
  return o.status === 200 && o.body?.data != null && o.body?.extensions?.disclosure != null && (o.body.extensions.disclosure.allowed + o.body.extensions.disclosure.masked) > 0;
}
