import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, gql } from '../api';
import { ClientName, Empty, ErrorBox, Section } from '../components/common';
import { RequestList } from '../components/Requests';
import { count, utc } from '../format';
import { ConsoleClientFragment as ConsoleClient, ConsoleCorrectionNoticesDocument, ConsoleCorrectionNoticesQuery, ConsoleDisclosureReportDocument, ConsoleDisclosureReportQuery as SubjectAnswer, ConsoleDownloadDocument, RecordsFormat } from '../generated/api';
import { navigate, UrlParams } from '../url-state';

type Format = RecordsFormat;

/** One subject: who received its data (the disclosure report), its requests and correction notices, its consents, erasure, and its records to download. */
export function SubjectView({ params, clients, serverTime }: { params: UrlParams; clients: ConsoleClient[]; serverTime: string }) {
  const subjectId = params.subjectId ?? '';
  const names = useMemo(() => new Map(clients.map((c) => [c.id, c.displayName])), [clients]);
  const [answer, setAnswer] = useState<SubjectAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setAnswer(null);
    setError(null);
    if (!subjectId) return;
    let live = true;
    setLoading(true);
    gql(ConsoleDisclosureReportDocument, { subjectId })
      .then((d) => live && setAnswer(d))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => { live = false; };
  }, [subjectId]);

  function submit(e: Event) {
    e.preventDefault();
    const v = String(new FormData(e.currentTarget as HTMLFormElement).get('subjectId') ?? '').trim();
    navigate('subject', v ? { subjectId: v } : {});
  }

  const review = answer?.subjectReview;
  return (
    <div class="subject">
      <Section title="Data subject">
        <form class="filters inline" onSubmit={submit} key={subjectId}>
          <label>Subject id<input name="subjectId" inputMode="numeric" defaultValue={subjectId} placeholder="e.g. 1" required /></label>
          <div class="actions"><button type="submit">Show</button></div>
          {review && (
            <div class="state" data-testid="erasure-state">
              {!review.exists ? <span class="badge deny">No such user</span>
                : review.erased ? <span class="badge deny">Erased {utc(review.erasedAt)}</span>
                : <span class="badge allow">Not erased</span>}
            </div>
          )}
        </form>
        {loading && <p class="muted">Loading…</p>}
        <ErrorBox error={error} />
      </Section>

      {answer && (
        <>
          <Section title="Disclosure report" actions={<Downloads subjectId={subjectId} />}>
            {answer.disclosureReport.length === 0 ? <Empty>No client has received any of this subject's data.</Empty> : (
              <div class="table-wrap">
                <table class="grid" data-testid="disclosure-report">
                  <thead><tr><th>Recipient</th><th>Categories</th><th>Purposes (scope)</th><th>First (UTC)</th><th>Last (UTC)</th><th class="num">Fields</th></tr></thead>
                  <tbody>
                    {answer.disclosureReport.map((r) => (
                      <tr data-client={r.clientId}>
                        <td><ClientName id={r.clientId} names={names} /></td>
                        <td>{r.categories.map((c) => <span class="tag">{c}</span>)}</td>
                        <td>{r.purposes.map((p) => {
                          // Its relationship scope under the policy now in force (SPEC §11), beside it.
                          const scope = r.scopes.find((x) => x.purpose === p);
                          return <span class="purpose-scope"><span class="tag">{p}</span>{scope && <span class="scope muted" data-scope-of={p} title={scope.meaning}> scope {scope.scope}</span>}</span>;
                        })}</td>
                        <td class="nowrap">{utc(r.firstAt)}</td>
                        <td class="nowrap">{utc(r.lastAt)}</td>
                        <td class="num">{count(r.count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p class="links">
              <button type="button" class="link" onClick={() => navigate('events', { subjectId })}>Every audit record of subject {subjectId} →</button>
            </p>
          </Section>

          {(review?.erased || answer.erasureNotices.length > 0) && (
            <Section title="Erasure notices">
              {answer.erasureNotices.length === 0 ? <Empty>No recipient to notify: nobody had received this subject's data.</Empty> : (
                <div class="table-wrap">
                  <table class="grid" data-testid="erasure-notices">
                    <thead><tr><th>Recipient</th><th>State</th><th>Opened (UTC)</th><th>Acknowledged (UTC)</th><th class="num">Age (days)</th></tr></thead>
                    <tbody>
                      {answer.erasureNotices.map((n) => (
                        <tr data-notice={n.id} data-client={n.clientId} data-status={n.status}>
                          <td><ClientName id={n.clientId} names={names} /></td>
                          <td>{n.status === 'OPEN' ? <span class="badge mask">open</span> : <span class="badge allow">deleted (acknowledged)</span>}</td>
                          <td class="nowrap">{utc(n.openedAt)}</td>
                          <td class="nowrap">{utc(n.acknowledgedAt)}</td>
                          <td class="num">{n.ageDays}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
          )}

          <Section title="Data-subject requests">
            <RequestList
              filter={{ userId: subjectId }}
              serverTime={serverTime}
              names={names}
              showSubject={false}
              testId="subject-requests"
              empty="No request on record for this subject."
            />
          </Section>

          <CorrectionNotices subjectId={subjectId} names={names} />

          <Section title="Consents">
            {!review || review.consents.length === 0 ? <Empty>No consent on record.</Empty> : (
              <div class="table-wrap">
                <table class="grid" data-testid="consents">
                  <thead><tr><th>Purpose</th><th>To</th><th>Given by</th><th>Granted (UTC)</th><th>Withdrawn (UTC)</th><th>State</th></tr></thead>
                  <tbody>
                    {review.consents.map((c) => (
                      <tr data-consent={c.id}>
                        <td>{c.purpose}</td>
                        <td><ClientName id={c.clientId} names={names} /></td>
                        <td>{c.byGuardian ? 'guardian' : 'the subject'}</td>
                        <td class="nowrap">{utc(c.grantedAt)}</td>
                        <td class="nowrap">{utc(c.withdrawnAt)}</td>
                        <td>{c.active ? <span class="badge allow">granted</span> : <span class="badge deny">withdrawn</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        </>
      )}
      {!subjectId && <Section title="Disclosure report"><Empty>Enter a subject id to see who received that person's data.</Empty></Section>}
    </div>
  );
}

/** The recipients told to correct what they received about the subject (SPEC §7): categories only, never a value. */
function CorrectionNotices({ subjectId, names }: { subjectId: string; names: Map<string, string> }) {
  const [notices, setNotices] = useState<ConsoleCorrectionNoticesQuery['correctionNotices'] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setNotices(null);
    setError(null);
    let live = true;
    gql(ConsoleCorrectionNoticesDocument, { subjectId })
      .then((d) => live && setNotices(d.correctionNotices))
      .catch((e) => live && setError(e));
    return () => { live = false; };
  }, [subjectId]);

  return (
    <Section title="Correction notices">
      <ErrorBox error={error} />
      {notices && notices.length === 0 && <Empty>No correction notice: no correction changed anything a client had received.</Empty>}
      {notices && notices.length > 0 && (
        <div class="table-wrap">
          <table class="grid" data-testid="correction-notices" data-subject={subjectId}>
            <thead><tr><th>Recipient</th><th>Categories</th><th>Request</th><th>State</th><th>Opened (UTC)</th><th>Acknowledged (UTC)</th></tr></thead>
            <tbody>
              {notices.map((n) => (
                <tr data-notice={n.id} data-client={n.clientId} data-status={n.status} data-request={n.requestId}>
                  <td><ClientName id={n.clientId} names={names} /></td>
                  <td class="categories">{n.categories.map((c) => <span class="tag">{c}</span>)}</td>
                  <td>#{n.requestId}</td>
                  <td>{n.status === 'OPEN' ? <span class="badge mask">open</span> : <span class="badge allow">corrected (acknowledged)</span>}</td>
                  <td class="nowrap">{utc(n.openedAt)}</td>
                  <td class="nowrap">{utc(n.acknowledgedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

/**
 * The download streams from the gateway: a mutation returns a short-lived, single-use link
 * (the key never goes into a URL), and the browser follows it as a plain download.
 */
function Downloads({ subjectId }: { subjectId: string }) {
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function download(format: Format) {
    setBusy(format);
    setError(null);
    try {
      const d = await gql(ConsoleDownloadDocument, { subjectId, format });
      const a = document.createElement('a');
      a.href = d.createRecordsDownload.url;
      a.rel = 'noopener';
      a.download = '';
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div class="downloads">
      <span class="muted">Records:</span>
      <button type="button" class="secondary" data-testid="download-csv" disabled={!!busy} onClick={() => download('CSV')}>{busy === 'CSV' ? 'Preparing…' : 'Download CSV'}</button>
      <button type="button" class="secondary" data-testid="download-ndjson" disabled={!!busy} onClick={() => download('NDJSON')}>{busy === 'NDJSON' ? 'Preparing…' : 'Download NDJSON'}</button>
      {error && <span class="error inline" role="alert">{error.message}</span>}
    </div>
  );
}
