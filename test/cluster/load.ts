import { KEYS } from '../helpers/gateway';
import { Load, LoadRequest, MIX, Outcome, runLoad } from '../hardening/load';

/**
 * A paced load of personal queries from every partner's demo key (the fault tests' MIX, from
 * test/hardening/load.ts, and the two other payment providers), against one gateway: every
 * response is kept, to be checked against the audit (judgeOutcomes) on every node afterwards.
 */
const [fulfilment, afterSales, risk, alipay, legal, analytics] = MIX;
export const CLUSTER_MIX: LoadRequest[] = [
  fulfilment, afterSales, alipay,
  { key: KEYS.wechat, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 2) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  { key: KEYS.unionpay, headers: { 'x-purpose': 'service.payment' }, query: () => '{ user(id: 1) { realName phone paymentAccounts { accountNo holderName cardExpiry } } }' },
  risk, legal, analytics,
];

export type TimedOutcome = Outcome;
export type PacedLoad = Load;

/** `workers` loops against `url`, each pausing `paceMs` between requests. */
export function pacedLoad(url: string, workers = 2, paceMs = 40): PacedLoad {
  return runLoad(() => url, CLUSTER_MIX, { workers, paceMs, staggerMs: 7 });
}

/** A 200 whose data carries at least one value (a response with personal data, for this mix). */
export function carriesData(o: Outcome): boolean {
  return o.status === 200 && o.body?.data != null && o.body?.extensions?.disclosure != null && (o.body.extensions.disclosure.allowed + o.body.extensions.disclosure.masked) > 0;
}
