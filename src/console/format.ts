/** Times are shown in UTC, the audit's own time zone, so that colleagues in different places read the same values. */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** An ISO instant as the value of a datetime-local input, read as UTC. */
export function toInputTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16);
}

/** A datetime-local input's value, read as UTC, as an ISO instant. */
export function fromInputTime(value: string): string {
  if (!value) return '';
  const d = new Date(value.length === 16 ? `${value}:00Z` : `${value}Z`);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
