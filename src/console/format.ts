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

const DAY_MS = 86_400_000;

export function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

/**
 * When an open request is due, relative to `now` (the gateway's clock): "in 5 days", "in less
 * than a day", "3 days overdue". Always a phrase with words, so that overdue is not shown by colour only.
 */
export function relativeDue(dueAt: string, now: number): string {
  const diff = new Date(dueAt).getTime() - now;
  if (Number.isNaN(diff)) return dueAt;
  if (diff >= 0) return diff < DAY_MS ? 'in less than a day' : `in ${days(Math.ceil(diff / DAY_MS))}`;
  const late = Math.floor(-diff / DAY_MS);
  return late === 0 ? 'overdue by less than a day' : `${days(late)} overdue`;
}

/** Within this many days of its due date, an open request is "due soon". */
export const DUE_SOON_DAYS = 7;

export function dueSoon(dueAt: string, now: number): boolean {
  const diff = new Date(dueAt).getTime() - now;
  return diff >= 0 && diff <= DUE_SOON_DAYS * DAY_MS;
}
