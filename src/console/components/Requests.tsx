import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, fetchAttachment, gql, saveAttachment } from '../api';
import { dueSoon, relativeDue, utc } from '../format';
import { ConsoleSubjectRequestFragment as SubjectRequest, ConsoleSubjectRequestsDocument, SubjectRequestFilter } from '../generated/api';
import { navigate } from '../url-state';
import { ClientName, Empty, ErrorBox } from './common';

/** The API's SubjectRequestFilter as the URL gives it: values pass as they are (the API says what is wrong with one). */
export interface RequestFilter {
  userId?: string;
  kind?: string;
  state?: string;
  overdue?: boolean;
}

/** The gateway's clock, carried forward from sign-in: a request is due by its time, not this laptop's. */
export function useServerClock(serverTime: string): () => number {
  const skew = useMemo(() => new Date(serverTime).getTime() - Date.now(), [serverTime]);
  return () => Date.now() + skew;
}

/** Requests read per call; "Show more" reads the next ones after the last shown. */
export const REQUESTS_PAGE = 100;

/**
 * Data-subject requests (SPEC §7) as `subjectRequests(filter)` answers them, the oldest due first:
 * the Requests view's queue and, filtered by `userId`, a subject's own in the Subject view. Open
 * requests say when they are due; overdue ones (the gateway's `overdue`) are marked in red *and*
 * with the word, due-soon ones highlighted and labelled; refusals show their §6(6) ground; a row
 * opens to its history; an ACCESS request offers the subject's copy as a download. A page of
 * REQUESTS_PAGE at a time: "Show more" appends the next (`after` the last id shown); after a copy
 * is issued the list is read again as far as it was shown, past the 500 rows one call answers.
 */
export function RequestList({ filter, serverTime, names, showSubject = true, empty, testId = 'requests' }: {
  filter: RequestFilter;
  serverTime: string;
  names: Map<string, string>;
  /** The subject column (a link to the Subject view); left out in a subject's own list. */
  showSubject?: boolean;
  empty: string;
  testId?: string;
}) {
  const clock = useServerClock(serverTime);
  const key = JSON.stringify(filter);
  const [rows, setRows] = useState<SubjectRequest[] | null>(null);
  const [loadedKey, setLoadedKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  // Bumped to read the list again (after a copy was issued, its history has a step more).
  const [version, setVersion] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  // Whether the last read filled its page (then there may be more after the last row).
  const [more, setMore] = useState(false);
  const apiFilter = () => (Object.keys(filter).length ? (filter as SubjectRequestFilter) : null);
  // The filter now asked for: a page that arrives after the filter changed is dropped.
  const current = useRef(key);
  current.current = key;

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    // Read again (a copy was issued): as many as were shown, so that the list does not shrink.
    const target = Math.max(REQUESTS_PAGE, loadedKey === key ? rows?.length ?? 0 : 0);
    readRequests(apiFilter(), target)
      .then((read) => { if (live) { setRows(read.rows); setMore(read.more); setLoadedKey(key); } })
      .catch((e) => { if (live) { setError(e); setRows(null); setLoadedKey(null); setMore(false); } })
      .finally(() => live && setLoading(false));
    return () => { live = false; };
  }, [key, version]);

  function showMore() {
    const shown = rows ?? [];
    if (!shown.length || loadedKey !== key) return;
    const asked = key;
    setLoading(true);
    setError(null);
    readRequests(apiFilter(), REQUESTS_PAGE, shown[shown.length - 1].id)
      .then((read) => {
        if (current.current !== asked) return;
        setRows([...shown, ...read.rows]);
        setMore(read.more);
      })
      .catch((e) => setError(e))
      .finally(() => setLoading(false));
  }

  function toggle(id: string) {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }

  const now = clock();
  const columns = showSubject ? 8 : 7;
  const shown = rows ?? [];
  const overdue = shown.filter((r) => r.overdue).length;
  const soon = shown.filter((r) => r.state === 'OPEN' && !r.overdue && dueSoon(r.dueAt, now)).length;

  return (
    <div class="requests-list">
      <ErrorBox error={error} />
      {loading && !rows && <p class="muted">Loading…</p>}
      {rows && rows.length === 0 && <Empty>{empty}</Empty>}
      {rows && rows.length > 0 && (
        <>
          <p class="muted summary" data-testid={`${testId}-summary`}>
            {rows.length} request{rows.length === 1 ? '' : 's'}
            {overdue > 0 && <> · <span class="overdue-count">{overdue} overdue</span></>}
            {soon > 0 && <> · {soon} due within 7 days</>}
            {more && <> · the oldest due first, more after these</>}
          </p>
          <div class="table-wrap">
            <table class="grid requests" data-testid={testId} data-filter={loadedKey ?? ''} aria-busy={loading}>
              <thead>
                <tr>
                  <th>Request</th>{showSubject && <th>Subject</th>}<th>Kind</th><th>Opened (UTC)</th><th>Due</th><th>State</th><th>Note</th><th><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const open = expanded.has(r.id);
                  const soonRow = r.state === 'OPEN' && !r.overdue && dueSoon(r.dueAt, now);
                  const cls = [r.overdue ? 'overdue' : '', soonRow ? 'due-soon' : '', open ? 'expanded' : ''].filter(Boolean).join(' ');
                  return (
                    <Fragment key={r.id}>
                      <tr
                        data-request={r.id}
                        data-subject={r.userId}
                        data-kind={r.kind}
                        data-state={r.state}
                        data-overdue={r.overdue ? 'true' : 'false'}
                        class={cls}
                        onClick={(e) => { if (!(e.target as Element).closest('a, button')) toggle(r.id); }}
                      >
                        <td class="nowrap">
                          <button type="button" class="link expand" data-testid="toggle-history" aria-expanded={open} aria-controls={`request-history-${testId}-${r.id}`}
                            title={open ? 'Hide the history' : 'Show the history'} onClick={() => toggle(r.id)}>
                            <span aria-hidden="true">{open ? '▾' : '▸'}</span> #{r.id}
                          </button>
                        </td>
                        {showSubject && (
                          <td>
                            <a href={`?view=subject&subjectId=${encodeURIComponent(r.userId)}`} data-testid="subject-link"
                              onClick={(e) => { e.preventDefault(); navigate('subject', { subjectId: r.userId }); }}>{r.userId}</a>
                          </td>
                        )}
                        <td class="kind">{r.kind}</td>
                        <td class="time">{utc(r.openedAt)}</td>
                        <td class="due" title={`Due ${utc(r.dueAt)}`}>
                          {r.state === 'OPEN' ? (
                            <>
                              <span class="when">{dueText(r, now)}</span>
                              {soonRow && <span class="badge soon">due soon</span>}
                              <span class="date muted">{utc(r.dueAt).slice(0, 10)}</span>
                            </>
                          ) : <span class="date muted">{utc(r.dueAt).slice(0, 10)}</span>}
                        </td>
                        <td class="state">
                          {r.state === 'OPEN' ? (
                            <>
                              <span class="badge open">open</span>
                              {r.overdue && <span class="badge deny overdue-badge">overdue</span>}
                            </>
                          ) : r.outcome === 'REFUSED' || r.state === 'REFUSED' ? (
                            <>
                              <span class="badge deny">refused</span>{' '}
                              <span class="ground" data-testid="refusal-ground" title="Refusal ground (privacy policy §6(6))">{r.refusalGround ?? '—'}</span>
                              <span class="closed muted">{utc(r.closedAt)}</span>
                            </>
                          ) : (
                            <>
                              <span class="badge allow">done</span>
                              <span class="closed muted">{utc(r.closedAt)}</span>
                            </>
                          )}
                        </td>
                        <td class="note" title={r.note ?? undefined}>{r.note ?? <span class="muted">—</span>}</td>
                        <td class="actions">
                          {r.kind === 'ACCESS' && r.state !== 'REFUSED' && <CopyDownload request={r} onIssued={() => setVersion((v) => v + 1)} />}
                        </td>
                      </tr>
                      {open && (
                        <tr class="history-row" data-history-of={r.id} id={`request-history-${testId}-${r.id}`}>
                          <td colSpan={columns}><RequestHistory request={r} names={names} /></td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          {more && (
            <div class="pager">
              <button type="button" class="secondary" data-testid={`${testId}-more`} disabled={loading} onClick={showMore}>Show {REQUESTS_PAGE} more</button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** An open request's due date in words; the gateway's `overdue` decides, this laptop's reading of its clock only words it. */
function dueText(r: SubjectRequest, now: number): string {
  const words = relativeDue(r.dueAt, now);
  const late = words.includes('overdue');
  if (r.overdue && !late) return 'overdue';
  if (!r.overdue && late) return 'due now';
  return words;
}

function RequestHistory({ request, names }: { request: SubjectRequest; names: Map<string, string> }) {
  return (
    <div class="history" data-testid="request-history">
      <dl class="facts">
        <dt>Opened by</dt><dd data-field="openedBy"><ClientName id={request.openedBy} names={names} /></dd>
        <dt>Due (UTC)</dt><dd data-field="dueAt">{utc(request.dueAt)}</dd>
        {request.closedAt && <><dt>Closed (UTC)</dt><dd data-field="closedAt">{utc(request.closedAt)}</dd></>}
        {request.note !== null && <><dt>Note</dt><dd data-field="note" class="note-text">{request.note}</dd></>}
      </dl>
      {request.history.length === 0 ? <Empty>No step recorded.</Empty> : (
        <table class="grid compact">
          <thead><tr><th>Time (UTC)</th><th>Step</th><th>By</th><th>Detail</th></tr></thead>
          <tbody>
            {request.history.map((e) => (
              <tr data-action={e.action}>
                <td class="time">{utc(e.at)}</td>
                <td class="action">{e.action}</td>
                <td class="by"><ClientName id={e.clientId} names={names} /></td>
                <td class="detail-text">{e.detail ?? <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The most subjectRequests answers in one call (its `first` is 1–500). */
const API_PAGE = 500;

/**
 * The first `target` requests of a filter after the request `after` (from the start without it),
 * read in pages of at most API_PAGE, each after the last row of the one before. One row more than
 * `target` is asked for, so that `more` says for certain whether any follow.
 */
async function readRequests(filter: SubjectRequestFilter | null, target: number, after?: string): Promise<{ rows: SubjectRequest[]; more: boolean }> {
  const rows: SubjectRequest[] = [];
  for (;;) {
    const first = Math.min(API_PAGE, target + 1 - rows.length);
    const page = (await gql(ConsoleSubjectRequestsDocument, { filter, first, after: rows.length ? rows[rows.length - 1].id : after })).subjectRequests;
    rows.push(...page);
    if (page.length < first) return { rows, more: false };
    if (rows.length > target) return { rows: rows.slice(0, target), more: true };
  }
}

/**
 * The subject's portable copy of an ACCESS request (docs/access-copy.md), from
 * GET /console/subject-copy with the auditor's key in the Authorization header: read by the page
 * and saved as the gateway names it. The gateway audits the reading and adds COPY_ISSUED to the
 * request's history, so the list is read again afterwards.
 */
function CopyDownload({ request, onIssued }: { request: SubjectRequest; onIssued: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function download() {
    setBusy(true);
    setError(null);
    try {
      const file = await fetchAttachment(`/console/subject-copy?request=${encodeURIComponent(request.id)}`, `subject-${request.userId}-access-copy-${request.id}.json`);
      saveAttachment(file);
      onIssued();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <span class="copy-download">
      <button type="button" class="secondary small" data-testid="download-copy" disabled={busy} onClick={download}>
        {busy ? 'Preparing…' : 'Download access copy'}
      </button>
      {error && <span class="error inline" role="alert">{error.message}</span>}
    </span>
  );
}
