import { createHmac } from 'node:crypto';
import { maskText } from './redacted';

/** PSEUDONYM (SPEC §4): `psn_` + 22 characters of base64url(HMAC-SHA256(secret, clientId:value)), stable per client, unlinkable across clients. */
export function maskPseudonym(secret: string, clientId: string, value: unknown): string | null {
  return maskText(value, (identifier) => `psn_${createHmac('sha256', secret).update(`${clientId}:${identifier}`).digest('base64url').slice(0, 22)}`);
}
