import { maskText } from './redacted';

type Hextets = readonly number[];

const HEXTET = /^[0-9a-f]{1,4}$/i;
const ZONE = /^[0-9a-z_.-]+$/i;

/**
 * Four octets of a dotted quad; leading zeros are refused (some parsers read them as octal). Read
 * character by character: it runs for every masked address of a list, where a regular
 * expression's match arrays were most of the mask's cost.
 */
function parseIPv4(text: string): number[] | null {
  const octets: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // the end closes the last octet like a '.'
    if (c >= 48 && c <= 57) {
      // A leading zero is only allowed as the whole octet ("0").
      if (digits === 1 && value === 0) return null;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46 && digits > 0 && octets.length < 4) {
      octets.push(value);
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  return octets.length === 4 ? octets : null;
}

function parseGroups(part: string, ipv4Tail: boolean): number[] | null {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (ipv4Tail && index === pieces.length - 1 && piece.includes('.')) {
      const octets = parseIPv4(piece);
      if (!octets) return null;
      groups.push((octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]);
    } else if (HEXTET.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/** Eight 16-bit groups, or null; a zone (`%eth0`) is dropped, an embedded IPv4 tail is read. */
function parseIPv6(text: string): Hextets | null {
  const percent = text.indexOf('%');
  if (percent >= 0 && !ZONE.test(text.slice(percent + 1))) return null;
  const halves = (percent >= 0 ? text.slice(0, percent) : text).split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1], true) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: Hextets): string {
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > runLength) [runStart, runLength] = [i, j - i];
    i = Math.max(j, i + 1);
  }
  const hex = groups.map((group) => group.toString(16));
  if (runStart < 0) return hex.join(':');
  return `${hex.slice(0, runStart).join(':')}::${hex.slice(runStart + runLength).join(':')}`;
}

function isIPv4Mapped(groups: Hextets): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

/**
 * IP_PREFIX (SPEC §4): an IPv4 address loses its last octet, `203.0.113.42` → `203.0.113.0`;
 * an IPv6 address keeps its first 48 bits, `2001:db8:1:2::5` → `2001:db8:1::`; an
 * IPv4-mapped IPv6 address is masked as the IPv4 address it carries, `::ffff:203.0.113.0`.
 */
export function maskIpPrefix(value: unknown): string | null {
  return maskText(value, (address) => {
    const ipv4 = parseIPv4(address);
    if (ipv4) return `${ipv4[0]}.${ipv4[1]}.${ipv4[2]}.0`;
    const ipv6 = parseIPv6(address);
    if (!ipv6) return null;
    if (isIPv4Mapped(ipv6)) return `::ffff:${ipv6[6] >> 8}.${ipv6[6] & 0xff}.${ipv6[7] >> 8}.0`;
    return formatIPv6([ipv6[0], ipv6[1], ipv6[2], 0, 0, 0, 0, 0]);
  });
}
