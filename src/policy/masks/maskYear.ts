import { parseIsoDate } from '../dates';
import { maskText } from './redacted';

/** YEAR (SPEC §4): a `YYYY-MM-DD` date keeps its year, `1990-05-17` → `1990`. */
export function maskYear(value: unknown): string | null {
  return maskText(value, (date) => {
    const parsed = parseIsoDate(date);
    return parsed === null ? null : date.slice(0, 4);
  });
}
