/** What a mask returns for a value it cannot mask while keeping something hidden: the whole value withheld. */
export const REDACTED = '****';

/**
 * Runs a string mask with the edge cases every string mask shares: null and undefined become
 * null, '' stays '', and a non-string, a value the mask rejects (returns null) or a mask that
 * throws becomes REDACTED, so that a mask never fails a response and never leaks the input.
 */
export function maskText(value: unknown, mask: (text: string) => string | null): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return REDACTED;
  if (value === '') return '';
  try {
    return mask(value) ?? REDACTED;
  } catch {
    return REDACTED;
  }
}
