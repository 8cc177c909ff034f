import { useEffect, useRef, useState } from 'preact/hooks';
import { gql } from '../api';
import { Empty, ErrorBox, Section } from '../components/common';
import { count, utc } from '../format';
import { ConsoleChainsDocument, ConsoleChainsQuery, ConsoleVerificationDocument, ConsoleVerificationJobFragment as VerificationJob, ConsoleVerifyDocument } from '../generated/api';

type ChainStatus = ConsoleChainsQuery['auditChainStatus'][number];

const POLL_MS = 250;

/** Each audit chain's length, head and last verification; "Verify now" runs the same check as `npm run audit:verify`. */
export function IntegrityView() {
  const [chains, setChains] = useState<ChainStatus[] | null>(null);
  const [job, setJob] = useState<VerificationJob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<number | null>(null);

  const load = () => gql(ConsoleChainsDocument).then((d) => setChains(d.auditChainStatus), setError);

  useEffect(() => {
    void load();
    return () => { if (timer.current !== null) clearTimeout(timer.current); };
  }, []);

  function poll(id: string) {
    timer.current = setTimeout(async () => {
      try {
        const d = await gql(ConsoleVerificationDocument, { id });
        if (!d.chainVerification) throw new Error('The verification is no longer known to this gateway');
        setJob(d.chainVerification);
        if (d.chainVerification.state === 'RUNNING') poll(id);
        else void load();
      } catch (e) {
        setError(e);
      }
    }, POLL_MS) as unknown as number;
  }

  async function verify() {
    setError(null);
    try {
      const d = await gql(ConsoleVerifyDocument);
      setJob(d.startChainVerification);
      if (d.startChainVerification.state === 'RUNNING') poll(d.startChainVerification.id);
      else void load();
    } catch (e) {
      setError(e);
    }
  }

  const running = job?.state === 'RUNNING';
  const pct = job && job.total > 0 ? Math.min(100, Math.round((job.checked / job.total) * 100)) : running ? 0 : 100;
  return (
    <div class="integrity">
      <Section
        title="Audit chains"
        actions={<button type="button" data-testid="verify-now" onClick={verify} disabled={running}>{running ? 'Verifying…' : 'Verify now'}</button>}
      >
        <p class="hint">Verification recomputes every record's hash and its link to the one before, as <code>npm run audit:verify</code> does, and names the first record that was changed, removed or inserted. The result is kept on each chain.</p>
        <ErrorBox error={error} />
        {job && (
          <div class={`verify ${job.state.toLowerCase()}`} data-testid="verification" data-state={job.state} role="status" aria-live="polite">
            {running ? <progress max={100} value={pct} aria-label="Verification progress" /> : <strong class="verdict">{job.state === 'PASSED' ? 'Intact' : job.state === 'FAILED' ? 'Broken' : 'Error'}</strong>}
            <span>{running
              ? `Checked ${count(job.checked)} of ${count(job.total)} records (${pct}%)`
              : job.state === 'PASSED' ? `Every chain is intact: ${count(job.checked)} records checked, finished ${utc(job.finishedAt)}.`
              : job.state === 'FAILED' ? `${job.detail ?? 'a chain does not verify'}`
              : `The verification could not run: ${job.detail ?? 'unknown error'}`}</span>
          </div>
        )}
        {chains === null ? <p class="muted">Loading…</p> : chains.length === 0 ? <Empty>No audit chain yet: nothing has been disclosed.</Empty> : (
          <div class="table-wrap">
            <table class="grid" data-testid="chains">
              <thead><tr><th>Chain</th><th>Started (UTC)</th><th class="num">Length</th><th>Head hash</th><th>Last verified (UTC)</th><th>Result</th></tr></thead>
              <tbody>
                {chains.map((c) => (
                  <tr data-chain={c.chainId} data-result={c.lastVerifiedOk === null ? 'never' : c.lastVerifiedOk ? 'ok' : 'broken'}>
                    <td class="mono nowrap">{c.chainId}</td>
                    <td class="nowrap">{utc(c.startedAt)}</td>
                    <td class="num">{count(c.length)}</td>
                    <td class="mono hash nowrap" title={c.headHash}>{c.headHash.slice(0, 16)}…</td>
                    <td class="nowrap">{utc(c.lastVerifiedAt)}</td>
                    <td>
                      {c.lastVerifiedOk === null ? <span class="muted">never verified</span>
                        : c.lastVerifiedOk ? <span class="badge allow">intact</span>
                        : <><span class="badge deny">BROKEN</span> <span class="detail">{c.lastVerifiedDetail}</span></>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}
