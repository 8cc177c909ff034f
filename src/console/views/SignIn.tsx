import { useRef, useState } from 'preact/hooks';
import { Session, signIn } from '../api';

/** The auditor key is typed here and kept only in memory; a reader's key is refused with the reason. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const field = input.current!;
    setBusy(true);
    setError(null);
    const result = await signIn(field.value);
    setBusy(false);
    if (result.ok) {
      field.value = '';
      onSignedIn(result.session);
    } else {
      setError(result.message);
      field.select();
    }
  }

  return (
    <div class="signin">
      <form class="card" onSubmit={submit} autoComplete="off" method="post">
        <h1>PurposeGate <span>review console</span></h1>
        <p class="muted">For the security team: who received whose data, for which purpose, and whether the audit trail is intact.</p>
        {notice && <p class="notice" role="status" data-testid="signin-notice">{notice}</p>}
        <label for="key">Auditor key</label>
        <input id="key" name="key" type="password" ref={input} autoFocus autoComplete="off" spellcheck={false} required />
        <p class="hint">The key stays in this tab's memory only; closing or reloading the tab signs you out.</p>
        {error && <p class="error" role="alert" data-testid="signin-error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
