import type { ComponentChildren } from 'preact';

export function DecisionBadge({ decision }: { decision: string }) {
  return <span class={`badge ${decision.toLowerCase()}`}>{decision}</span>;
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as { code?: string; message?: string };
  return <p class="error" role="alert">{e.code ? `${e.code}: ` : ''}{e.message ?? String(error)}</p>;
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="panel">
      <div class="panel-head"><h2>{title}</h2>{actions}</div>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A client id with its registered display name, both as text. */
export function ClientName({ id, names }: { id: string | null; names: Map<string, string> }) {
  if (id === null) return <span class="muted">every client</span>;
  const name = names.get(id);
  return <span class="client" title={id}>{name && name !== id ? <>{name} <span class="muted">({id})</span></> : id}</span>;
}

/**
 * An uncontrolled select whose initial choice is `initial`: the form is read on submit, and
 * re-renders (a page loading) leave what the user picked alone.
 */
export function Choice({ name, initial, options, any = 'any', testId }: { name: string; initial: string; options: (string | [string, string])[]; any?: string | null; testId?: string }) {
  return (
    <select name={name} data-testid={testId}>
      {any !== null && <option value="" selected={initial === ''}>{any}</option>}
      {options.map((o) => {
        const [value, label] = typeof o === 'string' ? [o, o] : o;
        return <option value={value} selected={value === initial}>{label}</option>;
      })}
    </select>
  );
}
