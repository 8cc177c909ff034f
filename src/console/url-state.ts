import { useEffect, useState } from 'preact/hooks';

/**
 * What the console is showing lives in the page URL (view and filters) so that a link can be
 * shared with a colleague. Only these names are ever written: never the key, never a token.
 */
export type View = 'events' | 'subject' | 'requests' | 'clients' | 'integrity';
export const VIEWS: View[] = ['events', 'subject', 'requests', 'clients', 'integrity'];

// `state`, `kind` and `overdue` are the Requests view's filters.
const ALLOWED = new Set(['view', 'subjectId', 'clientId', 'purpose', 'category', 'decision', 'from', 'to', 'after', 'first', 'range', 'state', 'kind', 'overdue']);

export type UrlParams = Record<string, string>;

export function readUrl(): { view: View; params: UrlParams } {
  const search = new URLSearchParams(location.search);
  const params: UrlParams = {};
  for (const [k, v] of search) if (ALLOWED.has(k) && k !== 'view' && v !== '') params[k] = v;
  const v = search.get('view') as View | null;
  return { view: v && VIEWS.includes(v) ? v : 'events', params };
}

function href(view: View, params: UrlParams): string {
  const search = new URLSearchParams({ view });
  for (const [k, v] of Object.entries(params)) if (ALLOWED.has(k) && v) search.set(k, v);
  return `${location.pathname}?${search.toString()}`;
}

const listeners = new Set<() => void>();

/** Go to a view with these parameters; `replace` rewrites the current history entry instead of adding one. */
export function navigate(view: View, params: UrlParams = {}, replace = false): void {
  const next = href(view, params);
  if (next === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', next);
  else history.pushState(null, '', next);
  for (const l of listeners) l();
}

/** The current view and parameters, re-read on navigation and on the browser's back/forward. */
export function useUrl(): { view: View; params: UrlParams } {
  const [state, setState] = useState(readUrl);
  useEffect(() => {
    const update = () => setState(readUrl());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return state;
}
