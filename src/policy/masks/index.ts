import type { MaskKind } from '../vocabulary';
import { maskAccount } from './maskAccount';
import { maskCity } from './maskCity';
import { maskCoarse } from './maskCoarse';
import { maskIpPrefix } from './maskIpPrefix';
import { maskLast4 } from './maskLast4';
import { maskName } from './maskName';
import { maskPhone } from './maskPhone';
import { maskPseudonym } from './maskPseudonym';
import { maskYear } from './maskYear';

export { COARSE_ACCURACY_M, maskCoarse } from './maskCoarse';
export type { GeoPoint } from './maskCoarse';
export { REDACTED } from './redacted';
export { maskAccount, maskCity, maskIpPrefix, maskLast4, maskName, maskPhone, maskPseudonym, maskYear };

/** What a mask may depend on beyond the value: the pseudonym key and the receiving client. */
export interface MaskContext {
  readonly secret: string;
  readonly clientId: string;
}

// Keyed by every MaskKind: a mask added to the policy does not compile until it is implemented here.
const MASKS: { readonly [Kind in MaskKind]: (value: unknown, ctx: MaskContext) => unknown } = {
  PHONE: maskPhone,
  NAME: maskName,
  ACCOUNT: maskAccount,
  LAST4: maskLast4,
  YEAR: maskYear,
  CITY: maskCity,
  COARSE: maskCoarse,
  IP_PREFIX: maskIpPrefix,
  PSEUDONYM: (value, ctx) => maskPseudonym(ctx.secret, ctx.clientId, value),
};

/** Applies a policy mask to a field value; never throws, and an unknown kind withholds the value (null). */
export function applyMask(kind: MaskKind, value: unknown, ctx: MaskContext): unknown {
  return Object.hasOwn(MASKS, kind) ? MASKS[kind](value, ctx) : null;
}
