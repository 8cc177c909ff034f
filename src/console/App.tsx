import { useEffect, useState } from 'preact/hooks';
import { gql, onSignedOut, Session, signOut, SignOutReason } from './api';
import { ConsoleClientFragment as ConsoleClient, ConsoleClientsDocument } from './generated/api';
import { navigate, useUrl, View, VIEWS } from './url-state';
import { ClientsView } from './views/Clients';
import { EventsView } from './views/Events';
import { IntegrityView } from './views/Integrity';
import { RequestsView } from './views/Requests';
import { SignIn } from './views/SignIn';
import { SubjectView } from './views/Subject';

const TITLES: Record<View, string> = { events: 'Events', subject: 'Subject', requests: 'Requests', clients: 'Clients', integrity: 'Integrity' };

const NOTICES: Record<SignOutReason, string | null> = {
  'signed-out': null,
  'key-rejected': 'Your key is no longer accepted (expired or revoked). Sign in again.',
  'not-auditor': 'Your key no longer has the auditor role. Sign in with an auditor key.',
};

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [clients, setClients] = useState<ConsoleClient[]>([]);
  const { view, params } = useUrl();

  useEffect(() => onSignedOut((reason) => {
    setSession(null);
    setClients([]);
    setNotice(NOTICES[reason]);
  }), []);

  useEffect(() => {
    if (!session) return;
    gql(ConsoleClientsDocument).then((d) => setClients(d.consoleClients), () => setClients([]));
  }, [session]);

  useEffect(() => {
    document.title = session ? `${TITLES[view]} · PurposeGate review console` : 'Sign in · PurposeGate review console';
  }, [session, view]);

  if (!session) {
    return <SignIn notice={notice} onSignedIn={(s) => { setNotice(null); setSession(s); }} />;
  }
  return (
    <div class="shell">
      <header class="top">
        <div class="brand">PurposeGate <span>review console</span></div>
        <nav aria-label="Views">
          {VIEWS.map((v) => (
            <a
              href={`?view=${v}`}
              class={v === view ? 'active' : ''}
              aria-current={v === view ? 'page' : undefined}
              data-view={v}
              onClick={(e) => { e.preventDefault(); navigate(v); }}
            >{TITLES[v]}</a>
          ))}
        </nav>
        <div class="who">
          <span title={session.clientId}>{session.displayName}</span>
          <button type="button" class="link" onClick={() => signOut('signed-out')}>Sign out</button>
        </div>
      </header>
      <main>
        {view === 'events' && <EventsView params={params} clients={clients} session={session} />}
        {view === 'subject' && <SubjectView params={params} clients={clients} serverTime={session.serverTime} />}
        {view === 'requests' && <RequestsView params={params} clients={clients} session={session} />}
        {view === 'clients' && <ClientsView params={params} clients={clients} serverTime={session.serverTime} />}
        {view === 'integrity' && <IntegrityView />}
      </main>
    </div>
  );
}
