import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, Session } from '../api';
import { Choice, ClientName, DecisionBadge, Empty, ErrorBox, Section } from '../components/common';
import { fromInputTime, toInputTime, utc } from '../format';
import { AuditFilter, ConsoleAuditEventFragment as AuditEvent, ConsoleClientFragment as ConsoleClient, ConsoleEventsDocument, ConsoleEventsQuery } from '../generated/api';
import { navigate, UrlParams } from '../url-state';
import { DECISIONS } from '../vocabulary';

const FILTERS = ['subjectId', 'clientId', 'purpose', 'category', 'decision', 'from', 'to'] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;
const PAGE_SIZES = [25, 50, 100];

/** The choices, plus a value from a shared link that is not among them (the API will say what is wrong with it). */
function withCurrent(choices: string[], current: string | undefined): string[] {
  return current && !choices.includes(current) ? [...choices, current] : choices;
}

function filterOf(params: UrlParams): Filter {
  const f: Filter = {};
  for (const k of FILTERS) if (params[k]) f[k] = params[k];
  return f;
}

/** `auditEvents` as a form, a table with cursor paging both ways, and one record's details. */
export function EventsView({ params, clients, session }: { params: UrlParams; clients: ConsoleClient[]; session: Session }) {
  const filter = useMemo(() => filterOf(params), [params]);
  const first = PAGE_SIZES.includes(Number(params.first)) ? Number(params.first) : 50;
  const after = params.after ?? null;
  const key = JSON.stringify([filter, first]);
  const names = useMemo(() => new Map(clients.map((c) => [c.id, c.displayName])), [clients]);

  const [page, setPage] = useState<ConsoleEventsQuery['auditEvents'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  // The cursors of the pages before this one (this API pages forwards; going back retraces them).
  const [trail, setTrail] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [] });
  const cursors = trail.key === key ? trail.cursors : [];

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    // The URL's values go as they are (a shared link may hold any): the API says what is wrong with one.
    gql(ConsoleEventsDocument, { filter: Object.keys(filter).length ? (filter as AuditFilter) : null, first, after })
      .then((d) => { if (live) { setPage(d.auditEvents); setSelected(null); } })
      .catch((e) => { if (live) { setError(e); setPage(null); } })
      .finally(() => live && setLoading(false));
    return () => { live = false; };
  }, [key, after]);

  function submit(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const next: UrlParams = {};
    for (const k of FILTERS) {
      const raw = String(form.get(k) ?? '').trim();
      const v = k === 'from' || k === 'to' ? fromInputTime(raw) : raw;
      if (v) next[k] = v;
    }
    const size = String(form.get('first') ?? '');
    if (size && size !== '50') next.first = size;
    navigate('events', next);
  }

  function go(cursor: string | null, nextCursors: (string | null)[]) {
    setTrail({ key, cursors: nextCursors });
    const p: UrlParams = { ...filter, ...(first !== 50 ? { first: String(first) } : {}) };
    if (cursor) p.after = cursor;
    navigate('events', p);
  }

  const pageNo = cursors.length + 1;
  const rows = page?.edges ?? [];

  return (
    <div class="events">
      <Section title="Audit events">
        <form class="filters" onSubmit={submit} key={JSON.stringify(filter) + first}>
          <label>Subject id<input name="subjectId" inputMode="numeric" defaultValue={filter.subjectId ?? ''} placeholder="any" /></label>
          <label>Client
            <Choice name="clientId" initial={filter.clientId ?? ''} options={withCurrent(clients.map((c) => c.id), filter.clientId)} />
          </label>
          <label>Purpose
            <Choice name="purpose" initial={filter.purpose ?? ''} options={withCurrent(session.purposes, filter.purpose)} />
          </label>
          <label>Category
            <Choice name="category" initial={filter.category ?? ''} options={withCurrent(session.categories, filter.category)} />
          </label>
          <label>Decision
            <Choice name="decision" initial={filter.decision ?? ''} options={withCurrent([...DECISIONS], filter.decision)} />
          </label>
          <label>From (UTC)<input name="from" type="datetime-local" defaultValue={toInputTime(filter.from)} /></label>
          <label>To (UTC)<input name="to" type="datetime-local" defaultValue={toInputTime(filter.to)} /></label>
          <label>Per page
            <Choice name="first" initial={String(first)} options={PAGE_SIZES.map(String)} any={null} />
          </label>
          <div class="actions">
            <button type="submit">Apply</button>
            <button type="button" class="secondary" onClick={() => navigate('events', {})}>Clear</button>
          </div>
        </form>
      </Section>

      <div class={selected ? 'split' : ''}>
        <Section
          title="Records"
          actions={<span class="muted" data-testid="page-label">{loading ? 'Loading…' : `Page ${pageNo} · ${rows.length} record${rows.length === 1 ? '' : 's'}`}</span>}
        >
          <ErrorBox error={error} />
          {page && rows.length === 0 && <Empty>No audit record matches these filters.</Empty>}
          {rows.length > 0 && !selected && <p class="hint">Select a record to see every field of it.</p>}
          {rows.length > 0 && (
            <div class="table-wrap">
              <table class="grid" data-testid="events-table">
                <thead><tr><th>Time (UTC)</th><th>Client</th><th>Purpose</th><th>Subject</th><th>Field</th><th>Category</th><th>Decision</th><th>Reason</th></tr></thead>
                <tbody>
                  {rows.map(({ node: r }) => (
                    <tr
                      key={r.id}
                      data-id={r.id}
                      class={selected?.id === r.id ? 'selected' : ''}
                      tabIndex={0}
                      onClick={() => setSelected(r)}
                      onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setSelected(r); } }}
                    >
                      <td class="time"><span>{utc(r.at).slice(0, 10)}</span> {utc(r.at).slice(11)}</td>
                      <td>{r.clientId}</td>
                      <td>{r.purpose}</td>
                      <td>{r.subjectId ?? '—'}</td>
                      <td>{r.entity}.{r.field}</td>
                      <td>{r.category}</td>
                      <td><DecisionBadge decision={r.decision} /></td>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="pager">
            <button type="button" class="secondary" data-testid="prev-page" disabled={loading || (!after && cursors.length === 0)}
              onClick={() => go(cursors.length ? cursors[cursors.length - 1] : null, cursors.slice(0, -1))}>← Previous</button>
            <button type="button" class="secondary" data-testid="next-page" disabled={loading || !page?.pageInfo.hasNextPage}
              onClick={() => go(page!.pageInfo.endCursor, [...cursors, after])}>Next →</button>
          </div>
        </Section>
        {selected && <RecordDetails record={selected} names={names} onClose={() => setSelected(null)} />}
      </div>
    </div>
  );
}

const DETAIL_FIELDS: [keyof AuditEvent, string][] = [
  ['id', 'Record'], ['at', 'Time (UTC)'], ['requestId', 'Request'], ['clientId', 'Client'], ['purpose', 'Purpose'],
  ['caseRef', 'Case reference'], ['subjectId', 'Subject'], ['entity', 'Entity'], ['entityId', 'Entity id'], ['field', 'Field'],
  ['category', 'Category'], ['decision', 'Decision'], ['mask', 'Mask'], ['reason', 'Reason'], ['basis', 'Legal basis'],
  ['policyVersion', 'Policy version'], ['consentId', 'Consent relied on'],
];

function RecordDetails({ record, names, onClose }: { record: AuditEvent; names: Map<string, string>; onClose: () => void }) {
  return (
    <aside class="panel details" data-testid="record-details" aria-label="Record details">
      <div class="panel-head"><h2>Record {record.id}</h2><button type="button" class="link" onClick={onClose}>Close</button></div>
      <dl>
        {DETAIL_FIELDS.map(([k, label]) => (
          <>
            <dt>{label}</dt>
            <dd data-field={k}>
              {k === 'at' ? utc(record.at)
                : k === 'decision' ? <DecisionBadge decision={record.decision} />
                : k === 'clientId' ? <ClientName id={record.clientId} names={names} />
                : record[k] ?? <span class="muted">—</span>}
            </dd>
          </>
        ))}
      </dl>
      <p class="links">
        {record.subjectId && (
          <button type="button" class="link" onClick={() => navigate('subject', { subjectId: String(record.subjectId) })}>Open subject {record.subjectId}</button>
        )}
        <button type="button" class="link" onClick={() => navigate('clients', { clientId: record.clientId })}>Open client {record.clientId}</button>
      </p>
    </aside>
  );
}
