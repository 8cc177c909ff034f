import { characters, sliceCharacters } from './characters';
import { maskText } from './redacted';

/** PHONE (SPEC §4): keeps the first 3 and the last 4 characters, `13812345678` → `138****5678`. */
export function maskPhone(value: unknown): string | null {
  return maskText(value, (phone) => {
    const chars = characters(phone);
    if (chars.length <= 7) return null;
    return sliceCharacters(chars, 0, 3) + '*'.repeat(chars.length - 7) + sliceCharacters(chars, -4);
  });
}
