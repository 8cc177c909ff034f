import { maskText } from './redacted';

/** PHONE (SPEC §4): keeps the first 3 and the last 4 characters, `13812345678` → `138****5678`. */
export function maskPhone(value: unknown): string | null {
  return maskText(value, (phone) => {
    const chars = Array.from(phone);
    if (chars.length <= 7) return null;
    return chars.slice(0, 3).join('') + '*'.repeat(chars.length - 7) + chars.slice(-4).join('');
  });
}
