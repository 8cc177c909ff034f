import { useClock, fixedClock } from '../../src/clock';
import { KEYS, TEST_TODAY, TestGateway } from '../helpers/gateway';

/**
 * Demo traffic through the API, the way the demo clients would send it: each client, its
 * purposes, on several subjects, over the hours before TEST_TODAY (the audit's clock), so that
 * the console has allowed, masked and denied fields to show, per client and per hour.
 */
const ALICE = `user(id: 1) {
  username nickname avatarUrl gender realName birthDate phone city
  paymentAccounts { accountNo holderName cardExpiry }
  devices { model deviceId ipAddress location { lat lng } city }
  orders(first: 2) { edges { node { orderNo recipientName recipientPhone shippingAddress } } }
}`;
const PROFILE = (id: number) => `user(id: ${id}) { username nickname realName phone city devices { model deviceId } }`;

interface Call { key: string; query: string; headers: Record<string, string> }

const purpose = (p: string, caseRef?: string): Record<string, string> => ({ 'x-purpose': p, ...(caseRef ? { 'x-case-ref': caseRef } : {}) });

export const DEMO_CALLS: Call[] = [
  { key: KEYS.mall, query: `{ ${ALICE} }`, headers: purpose('service.fulfilment') },
  { key: KEYS.mall, query: `{ ${PROFILE(1)} ${PROFILE(3).replace('user(', 'lily: user(')} ${PROFILE(4).replace('user(', 'tom: user(')} }`, headers: purpose('personalization') },
  { key: KEYS.mall, query: `{ order(id: 2) { recipientName recipientPhone shippingAddress } }`, headers: purpose('service.after-sales') },
  { key: KEYS.alipay, query: `{ ${ALICE} }`, headers: purpose('service.payment') },
  // Bob pays only with WeChat Pay: outside Alipay's provider scope, refused as OUT_OF_SCOPE (SPEC §11).
  { key: KEYS.alipay, query: `{ bob: user(id: 2) { username realName paymentAccounts { accountNo } } }`, headers: purpose('service.payment') },
  { key: KEYS.risk, query: `{ ${ALICE} }`, headers: purpose('security.risk-control') },
  { key: KEYS.analytics, query: `{ ${PROFILE(1)} bob: ${PROFILE(2)} }`, headers: purpose('analytics') },
  { key: KEYS.docs, query: `{ ${PROFILE(1)} }`, headers: purpose('third-party-app') },
  { key: KEYS.account, query: `{ ${PROFILE(5)} ${PROFILE(2).replace('user(', 'bob: user(')} }`, headers: purpose('account') },
  { key: KEYS.legal, query: `{ ${PROFILE(1)} }`, headers: purpose('legal.criminal-investigation', 'GA-2026-0117') },
];

/** Send the demo calls `rounds` times, round r at TEST_TODAY minus (rounds - r) hours; returns the requests sent. */
export async function sendDemoTraffic(gw: TestGateway, rounds = 3): Promise<number> {
  let sent = 0;
  for (let r = 0; r < rounds; r++) {
    const at = new Date(new Date(TEST_TODAY).getTime() - (rounds - r) * 3_600_000).toISOString();
    const restore = useClock(fixedClock(at));
    try {
      for (const c of DEMO_CALLS.slice(0, r === rounds - 1 ? DEMO_CALLS.length : DEMO_CALLS.length - r)) {
        const res = await gw.gql(c.key, c.query, { headers: c.headers });
        if (res.status !== 200 || !res.body?.data) throw new Error(`demo call failed: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
        sent++;
      }
    } finally {
      restore();
    }
  }
  return sent;
}
