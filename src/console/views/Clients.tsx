import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql } from '../api';
import { DecisionChart } from '../components/DecisionChart';
import { Empty, ErrorBox, Section } from '../components/common';
import { count, fromInputTime, toInputTime, utc } from '../format';
import { ConsoleClientActivityDocument, ConsoleClientActivityQuery, ConsoleClientFragment as ConsoleClient, ConsoleDecisionTotalsDocument } from '../generated/api';
import { navigate, readUrl, UrlParams } from '../url-state';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RANGES: Record<string, { label: string; span: number; unit: number }> = {
  '24h': { label: 'Last 24 hours', span: 24 * HOUR, unit: HOUR },
  '3d': { label: 'Last 3 days', span: 3 * DAY, unit: HOUR },
  '7d': { label: 'Last 7 days', span: 7 * DAY, unit: DAY },
  '30d': { label: 'Last 30 days', span: 30 * DAY, unit: DAY },
  '90d': { label: 'Last 90 days', span: 90 * DAY, unit: DAY },
};

/** A named range ends with the current hour or day on the gateway's clock (the audit's time), in UTC. */
function rangeOf(params: UrlParams, serverNow: number): { from: string; to: string } | null {
  if (params.range === 'custom') return params.from && params.to ? { from: params.from, to: params.to } : null;
  const r = RANGES[params.range ?? '7d'] ?? RANGES['7d'];
  const to = Math.floor(serverNow / r.unit) * r.unit + r.unit;
  return { from: new Date(to - r.span).toISOString(), to: new Date(to).toISOString() };
}

/**
 * The registered client with the most field decisions (ALLOW + MASK + DENY) in [from, to), or
 * null when none has any: one `clientDecisionTotals` (one aggregation in the gateway, whatever
 * the number of clients). Ties go to the first client in the registry's order.
 */
async function busiestClient(ids: string[], range: { from: string; to: string }): Promise<{ clientId: string; total: number } | null> {
  const { clientDecisionTotals } = await gql(ConsoleDecisionTotalsDocument, range);
  const totals = new Map(clientDecisionTotals.map((c) => [c.clientId, c.allow + c.mask + c.deny]));
  let best: { clientId: string; total: number } | null = null;
  for (const id of ids) {
    const total = totals.get(id) ?? 0;
    if (total > 0 && (!best || total > best.total)) best = { clientId: id, total };
  }
  return best;
}

/** A provider scope's providers, as text; a provider scope without any sees nothing, which is shown as such. */
function Providers({ client }: { client: ConsoleClient }) {
  return client.providers.length
    ? <>{client.providers.map((p) => <span class="tag provider" data-provider={p}>{p}</span>)}</>
    : <span class="muted">no provider registered: sees no payment data</span>;
}

/** Each registered purpose's relationship scope, compactly: `purpose → scope`, with the providers of a provider scope. */
function ScopeTags({ client }: { client: ConsoleClient }) {
  if (!client.scopes.length) return <span class="muted">—</span>;
  return (
    <>
      {client.scopes.map((s) => (
        <span class="tag scope" data-purpose={s.purpose} data-scope={s.scope} title={s.meaning}>
          {s.purpose} → <strong>{s.scope}</strong>{s.scope === 'provider' && ` (${client.providers.length ? client.providers.join(', ') : 'none'})`}
        </span>
      ))}
    </>
  );
}

/** Per client: decisions over time (stacked), the categories it received, its most frequent denial reasons, its relationship scope. */
export function ClientsView({ params, clients, serverTime }: { params: UrlParams; clients: ConsoleClient[]; serverTime: string }) {
  // The gateway's clock, carried forward from sign-in: the audit's times are its times, not this laptop's.
  const skew = useMemo(() => new Date(serverTime).getTime() - Date.now(), [serverTime]);
  const clientId = params.clientId ?? '';
  const rangeKey = params.range === 'custom' ? 'custom' : RANGES[params.range ?? ''] ? params.range! : '7d';
  const range = rangeOf(params, Date.now() + skew);
  const [activity, setActivity] = useState<ConsoleClientActivityQuery['clientActivity'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  // No client named in the URL: open on the busiest one of the range (issue #22). The choice is
  // written into the URL (replacing the entry, so Back does not return to the empty view) unless
  // the user picked a client or another range meanwhile.
  const [busiest, setBusiest] = useState<{ range: string; clientId: string | null; total: number; failed?: boolean } | null>(null);
  const rangeId = range ? `${range.from}/${range.to}` : '';
  // The busiest of this range is known to be nobody (no decisions, or the count failed): the view waits for a choice.
  const settled = busiest?.range === rangeId && busiest.clientId === null;
  useEffect(() => {
    if (clientId || !range || clients.length === 0) return;
    let live = true;
    busiestClient(clients.map((c) => c.id), range)
      .then((b) => {
        if (!live) return;
        setBusiest({ range: rangeId, clientId: b?.clientId ?? null, total: b?.total ?? 0 });
        const now = readUrl();
        if (b && now.view === 'clients' && !now.params.clientId) navigate('clients', { ...now.params, clientId: b.clientId }, true);
      })
      // Counting is a convenience: if it fails (e.g. a lower alias limit), the view waits for a choice as before.
      .catch(() => live && setBusiest({ range: rangeId, clientId: null, total: 0, failed: true }));
    return () => { live = false; };
  }, [clientId, rangeId, clients]);

  useEffect(() => {
    setActivity(null);
    setError(null);
    if (!clientId || !range) return;
    let live = true;
    setLoading(true);
    gql(ConsoleClientActivityDocument, { clientId, ...range })
      .then((d) => live && setActivity(d.clientActivity))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => { live = false; };
  }, [clientId, range?.from, range?.to]);

  function select(next: UrlParams) {
    const p: UrlParams = { clientId, range: rangeKey, ...next };
    if (p.range !== 'custom') { delete p.from; delete p.to; } else { p.from = p.from ?? params.from ?? ''; p.to = p.to ?? params.to ?? ''; }
    navigate('clients', p);
  }

  function submitCustom(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    select({ range: 'custom', from: fromInputTime(String(form.get('from') ?? '')), to: fromInputTime(String(form.get('to') ?? '')) });
  }

  const totals = activity?.buckets.reduce((t, b) => ({ allow: t.allow + b.allow, mask: t.mask + b.mask, deny: t.deny + b.deny }), { allow: 0, mask: 0, deny: 0 });
  const selected = clients.find((c) => c.id === clientId);

  return (
    <div class="clients">
      <div class="split wide-left">
        <Section title="Client activity">
          <form class="filters" onSubmit={submitCustom} key={clientId + rangeKey}>
            <label>Client
              <select name="clientId" data-testid="client-select" value={clientId} onChange={(e) => select({ clientId: (e.currentTarget as HTMLSelectElement).value })}>
                {!clientId && <option value="">choose a client…</option>}
                {clients.map((c) => <option value={c.id}>{c.displayName} ({c.id})</option>)}
              </select>
            </label>
            <label>Range
              <select name="range" data-testid="range-select" value={rangeKey} onChange={(e) => select({ range: (e.currentTarget as HTMLSelectElement).value })}>
                {Object.entries(RANGES).map(([k, r]) => <option value={k}>{r.label}</option>)}
                <option value="custom">Custom…</option>
              </select>
            </label>
            {rangeKey === 'custom' && (
              <>
                <label>From (UTC)<input name="from" type="datetime-local" defaultValue={toInputTime(params.from)} required /></label>
                <label>To (UTC)<input name="to" type="datetime-local" defaultValue={toInputTime(params.to)} required /></label>
                <div class="actions"><button type="submit">Show</button></div>
              </>
            )}
          </form>
          {range && <p class="muted">{utc(range.from)} to {utc(range.to)}{activity && `, by ${activity.bucket === 'HOUR' ? 'hour' : 'day'}`}</p>}
          <ErrorBox error={error} />
          {!clientId && (!range || clients.length === 0 || settled ? (
            <Empty>
              {settled && !busiest?.failed && 'No client has any field decision in this range. '}
              Choose a client to see what it has been receiving.
            </Empty>
          ) : <p class="muted" data-testid="finding-busiest">Finding the busiest client of this range…</p>)}
          {clientId && busiest?.range === rangeId && busiest.clientId === clientId && (
            <p class="hint" data-testid="busiest-note">The busiest client of this range ({count(busiest.total)} field decisions); choose another above.</p>
          )}
          {loading && <p class="muted">Loading…</p>}
          {activity && totals && (
            <>
              <p class="totals" data-testid="activity-totals">
                {selected && <strong class="client-name">{selected.displayName}</strong>}
                <span class="badge allow">ALLOW {count(totals.allow)}</span>
                <span class="badge mask">MASK {count(totals.mask)}</span>
                <span class="badge deny">DENY {count(totals.deny)}</span>
              </p>
              <DecisionChart activity={activity} />
            </>
          )}
        </Section>
        <div class="stack">
          <Section title="Relationship scope">
            {!selected ? <Empty>—</Empty> : (
              <>
                {selected.scopes.length === 0 ? <Empty>No registered purpose of the current policy.</Empty> : (
                  <table class="grid compact" data-testid="client-scopes">
                    <thead><tr><th>Purpose</th><th>Scope</th><th>In scope</th></tr></thead>
                    <tbody>
                      {selected.scopes.map((s) => (
                        <tr data-purpose={s.purpose} data-scope={s.scope}>
                          <td title={s.declarable.join(', ')}>{s.purpose}</td>
                          <td class="scope">{s.scope}</td>
                          <td class="meaning">{s.scope === 'provider' ? <Providers client={selected} /> : <span class="muted">{s.meaning}</span>}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <p class="out-of-scope">Rows refused as out of scope (<code>OUT_OF_SCOPE</code>) in this range:{' '}
                  <strong data-testid="out-of-scope-count">{activity ? count(activity.outOfScope) : '…'}</strong>
                </p>
              </>
            )}
          </Section>
          <Section title="Categories received">
            {!activity ? <Empty>—</Empty> : activity.categories.length === 0 ? <Empty>No field decisions in this range.</Empty> : (
              <table class="grid compact" data-testid="categories">
                <thead><tr><th>Category</th><th class="num">ALLOW</th><th class="num">MASK</th><th class="num">DENY</th></tr></thead>
                <tbody>
                  {activity.categories.map((c) => (
                    <tr data-category={c.category}><td>{c.category === '*' ? <>* <span class="muted">(whole rows, out of scope)</span></> : c.category}</td><td class="num">{count(c.allow)}</td><td class="num">{count(c.mask)}</td><td class="num">{count(c.deny)}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Most frequent denial reasons">
            {!activity ? <Empty>—</Empty> : activity.denialReasons.length === 0 ? <Empty>No denials in this range.</Empty> : (
              <table class="grid compact" data-testid="denial-reasons">
                <thead><tr><th>Reason</th><th class="num">Denials</th></tr></thead>
                <tbody>{activity.denialReasons.map((r) => <tr data-reason={r.reason}><td>{r.reason}</td><td class="num">{count(r.count)}</td></tr>)}</tbody>
              </table>
            )}
          </Section>
        </div>
      </div>
      <Section title="Registered clients">
        <table class="grid" data-testid="client-list">
          <thead><tr><th>Client</th><th>Display name</th><th>Kind</th><th>Role</th><th>Purposes</th><th>Scope</th><th>Providers</th></tr></thead>
          <tbody>
            {clients.map((c) => (
              <tr data-client={c.id} class={c.id === clientId ? 'selected' : ''} onClick={() => select({ clientId: c.id })}>
                <td>{c.id}{c.disabled && <span class="badge deny">disabled</span>}</td>
                <td class="display-name">{c.displayName}</td>
                <td>{c.kind}</td>
                <td>{c.role}</td>
                <td>{c.purposes.map((p) => <span class="tag">{p}</span>)}</td>
                <td class="scopes"><ScopeTags client={c} /></td>
                <td class="providers">{c.providers.length ? c.providers.map((p) => <span class="tag provider" data-provider={p}>{p}</span>) : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
