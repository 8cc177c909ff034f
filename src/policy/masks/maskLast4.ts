import { characters, sliceCharacters } from './characters';
import { maskText } from './redacted';

const CARD_EXPIRY = /^\d{1,2}\/(?:\d{2}|\d{4})$/;

/** LAST4 (SPEC §4): a card number keeps its last 4 characters, `***************0123`; a card expiry `MM/YY` keeps only its slash. */
export function maskLast4(value: unknown): string | null {
  return maskText(value, (card) => {
    if (CARD_EXPIRY.test(card)) return '**/**';
    const chars = characters(card);
    if (chars.length <= 4) return null;
    return '*'.repeat(chars.length - 4) + sliceCharacters(chars, -4);
  });
}
