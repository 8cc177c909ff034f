import { maskText } from './redacted';

const EMAIL = /^([^@\s]+)@([^@\s]+)$/;

/** ACCOUNT (SPEC §4): an e-mail keeps its first character and domain, `a***@example.com`; anything else its first 2 and last 2, `wx***91`. */
export function maskAccount(value: unknown): string | null {
  return maskText(value, (account) => {
    const email = EMAIL.exec(account);
    if (email) return `${Array.from(email[1])[0]}***@${email[2]}`;
    const chars = Array.from(account);
    if (chars.length <= 4) return null;
    return `${chars.slice(0, 2).join('')}***${chars.slice(-2).join('')}`;
  });
}
