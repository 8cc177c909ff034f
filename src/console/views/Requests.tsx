import { useMemo } from 'preact/hooks';
import type { Session } from '../api';
import { Choice, Section } from '../components/common';
import { RequestFilter, RequestList } from '../components/Requests';
import type { ConsoleClientFragment as ConsoleClient } from '../generated/api';
import { navigate, UrlParams } from '../url-state';
import { REQUEST_KINDS } from '../vocabulary';

/** `state` in the URL: absent is the open requests (the queue), `any` every state. */
const STATES: [string, string][] = [['OPEN', 'open'], ['DONE', 'done'], ['REFUSED', 'refused'], ['any', 'any state']];

/** A value from a shared link that is not among the choices stays selectable (the API says what is wrong with it). */
function withCurrent(choices: [string, string][], current: string | undefined): [string, string][] {
  return current && !choices.some(([v]) => v === current) ? [...choices, [current, current]] : choices;
}

export function filterOf(params: UrlParams): RequestFilter {
  const f: RequestFilter = {};
  const state = params.state ?? 'OPEN';
  if (state !== 'any') f.state = state;
  if (params.kind) f.kind = params.kind;
  if (params.overdue === 'true') f.overdue = true;
  return f;
}

/**
 * The data-subject requests queue (SPEC §7, issue #20): open requests by default, the oldest due
 * first, filtered by state, kind and overdue, with the filters in the URL like every view.
 */
export function RequestsView({ params, clients, session }: { params: UrlParams; clients: ConsoleClient[]; session: Session }) {
  const filter = useMemo(() => filterOf(params), [params]);
  const names = useMemo(() => new Map(clients.map((c) => [c.id, c.displayName])), [clients]);
  const state = params.state ?? 'OPEN';

  function submit(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const next: UrlParams = {};
    const s = String(form.get('state') ?? 'OPEN');
    if (s && s !== 'OPEN') next.state = s;
    const kind = String(form.get('kind') ?? '');
    if (kind) next.kind = kind;
    if (form.get('overdue') === 'true') next.overdue = 'true';
    navigate('requests', next);
  }

  const describe = [
    filter.overdue ? 'overdue' : state === 'any' ? '' : STATES.find(([v]) => v === state)?.[1] ?? state,
    filter.kind ?? '',
  ].filter(Boolean).join(' ');

  return (
    <div class="requests">
      <Section title="Data-subject requests">
        <form class="filters" onSubmit={submit} key={JSON.stringify(params)}>
          <label>State
            <Choice name="state" initial={state} options={withCurrent(STATES, state)} any={null} testId="request-state" />
          </label>
          <label>Kind
            <Choice name="kind" initial={params.kind ?? ''} options={withCurrent(REQUEST_KINDS.map((k) => [k, k]), params.kind)} testId="request-kind" />
          </label>
          <label class="check">
            <input type="checkbox" name="overdue" value="true" data-testid="request-overdue" defaultChecked={params.overdue === 'true'} />
            Only overdue
          </label>
          <div class="actions">
            <button type="submit">Apply</button>
            <button type="button" class="secondary" onClick={() => navigate('requests', {})}>Clear</button>
          </div>
        </form>
        <p class="hint">
          A request is due 30 days after it was opened (privacy policy §6). Due within 7 days is highlighted;
          past due is marked <strong>overdue</strong>, by the gateway's clock. Select a row to see its history.
        </p>
      </Section>
      <Section title={describe ? `Requests: ${describe}` : 'Requests'}>
        <RequestList
          filter={filter}
          serverTime={session.serverTime}
          names={names}
          empty={filter.overdue ? 'No request is overdue.' : 'No request matches these filters.'}
        />
      </Section>
    </div>
  );
}
