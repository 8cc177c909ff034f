import { badInput } from '../errors';

export const MAX_PAGE = 100;

/** Cursors are opaque to clients: base64url of a versioned row id. */
export function encodeCursor(id: number): string {
  return Buffer.from(`c1:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arg: string): number {
  const raw = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^c1:(\d{1,15})$/.exec(raw);
  if (!m) throw badInput(`"${arg}" is not a cursor this API issued`, { argument: arg });
  return Number(m[1]);
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A validated page request: which way, how many, from which row id (exclusive). */
export interface PageWindow {
  forward: boolean;
  size: number;
  afterId: number | null;
  beforeId: number | null;
}

function checkSize(n: number, arg: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw badInput(`"${arg}" must be between 1 and ${MAX_PAGE}, got ${n}`, { argument: arg });
  return n;
}

export function pageWindow(args: PageArgs, defaultSize = 20): PageWindow {
  if (args.last != null && args.first != null) throw badInput('give "first" or "last", not both');
  const afterId = args.after != null ? decodeCursor(args.after, 'after') : null;
  const beforeId = args.before != null ? decodeCursor(args.before, 'before') : null;
  if (args.last != null) return { forward: false, size: checkSize(args.last, 'last'), afterId, beforeId };
  return { forward: true, size: checkSize(args.first ?? defaultSize, 'first'), afterId, beforeId };
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Build a connection from rows fetched with one extra row (size + 1) in the window's direction,
 * so that "is there more" costs no second query.
 */
export function toConnection<T extends { id: number }>(rows: T[], w: PageWindow): Connection<T> {
  const more = rows.length > w.size;
  const page = more ? rows.slice(0, w.size) : rows;
  if (!w.forward) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: w.forward ? more : w.beforeId !== null,
      hasPreviousPage: w.forward ? w.afterId !== null : more,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}
