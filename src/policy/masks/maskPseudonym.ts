import { createHash, createHmac, hash } from 'node:crypto';
import { lruGet } from '../../lru';
import { maskText } from './redacted';

/** SHA-256's block: a key longer than this is hashed first, a shorter one zero-padded (RFC 2104). */
const BLOCK = 64;
const DIGEST = 32;
/** Longest `clientId:value` (UTF-8 bytes) the preallocated buffer takes; a longer one goes through createHmac. */
const MESSAGE_MAX = 448;

/**
 * HMAC-SHA256 under one key, as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), from two
 * one-shot `crypto.hash` calls over buffers padded once per key: the same bytes as
 * `createHmac('sha256', key)` (test/policy/masks.test.ts compares them over many inputs), without
 * a native Hmac object per call, whose creation and collection cost about as much as the two
 * hashes (a masked list of 100 users has 200 device ids to pseudonymise).
 */
class HmacSha256 {
  private readonly inner = Buffer.alloc(BLOCK + MESSAGE_MAX);
  private readonly outer = Buffer.alloc(BLOCK + DIGEST);

  constructor(private readonly secret: string) {
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    for (let i = 0; i < BLOCK; i++) {
      const k = i < key.length ? key[i] : 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
  }

  /** The MAC of `message` (UTF-8), base64url. */
  base64url(message: string): string {
    const length = this.inner.write(message, BLOCK, 'utf8');
    // write() stops where the buffer ends (never inside a character): within 4 bytes of the end
    // the message may not have fit, and is done the ordinary way.
    if (length > MESSAGE_MAX - 4) return this.viaHmac(message);
    // 'buffer': the digest's bytes as a Buffer (crypto.hash takes digest()'s encodings).
    const innerDigest: unknown = hash('sha256', this.inner.subarray(0, BLOCK + length), 'buffer');
    if (!Buffer.isBuffer(innerDigest)) return this.viaHmac(message);
    innerDigest.copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'base64url');
  }

  /** The same MAC the ordinary way (createHmac), for what the prepared buffers cannot take. */
  private viaHmac(message: string): string {
    return createHmac('sha256', this.secret).update(message).digest('base64url');
  }
}

/** One per secret (the gateway has one; tests use a few), at most 16 kept. */
const macs = new Map<string, HmacSha256>();
const macFor = (secret: string): HmacSha256 => lruGet(macs, secret, () => new HmacSha256(secret), 16);

/** PSEUDONYM (SPEC §4): `psn_` + 22 characters of base64url(HMAC-SHA256(secret, clientId:value)), stable per client, unlinkable across clients. */
export function maskPseudonym(secret: string, clientId: string, value: unknown): string | null {
  return maskText(value, (identifier) => `psn_${macFor(secret).base64url(`${clientId}:${identifier}`).slice(0, 22)}`);
}
