import { characters, sliceCharacters } from './characters';
import { maskText } from './redacted';

const EMAIL = /^([^@\s]+)@([^@\s]+)$/;

/** ACCOUNT (SPEC §4): an e-mail keeps its first character and domain, `a***@example.com`; anything else its first 2 and last 2, `wx***91`. */
export function maskAccount(value: unknown): string | null {
  return maskText(value, (account) => {
    const email = EMAIL.exec(account);
    if (email) return `${sliceCharacters(characters(email[1]), 0, 1)}***@${email[2]}`;
    const chars = characters(account);
    if (chars.length <= 4) return null;
    return `${sliceCharacters(chars, 0, 2)}***${sliceCharacters(chars, -2)}`;
  });
}
