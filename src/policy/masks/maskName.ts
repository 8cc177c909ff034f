import { characters, sliceCharacters } from './characters';
import { maskText } from './redacted';

/** NAME (SPEC §4): keeps the first character of each word, `Alice Wang` → `A**** W***`, `王小明` → `王**`. */
export function maskName(value: unknown): string | null {
  return maskText(value, (name) => {
    let hidden = false;
    // Splitting on a captured separator keeps the spacing: odd indexes are whitespace.
    const masked = name
      .split(/(\s+)/)
      .map((part, index) => {
        if (index % 2 === 1 || part === '') return part;
        const chars = characters(part);
        if (chars.length > 1) hidden = true;
        return sliceCharacters(chars, 0, 1) + '*'.repeat(chars.length - 1);
      })
      .join('');
    return hidden ? masked : null;
  });
}
