import { maskText } from './redacted';

/** CITY (SPEC §4): an address, stored city first, keeps its city, `Xiamen, Siming District, 8 Lianqian Rd` → `Xiamen`. */
export function maskCity(value: unknown): string | null {
  return maskText(value, (address) => {
    // Chinese addresses use the full-width comma.
    const comma = address.search(/[,，]/);
    if (comma < 0) return null;
    const city = address.slice(0, comma).trim();
    return city === '' ? null : city;
  });
}
