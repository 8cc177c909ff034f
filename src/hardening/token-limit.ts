import { Lexer, Source, TokenKind } from 'graphql';
import { Preflight, Rejection } from '../request/preflight';
import { log } from '../log';

/** Tokens in a document, counting no further than `stopAfter + 1`; a lexical error ends the count (Apollo reports it). */
export function countTokens(document: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(document));
  let n = 0;
  try {
    while (n <= stopAfter && lexer.advance().kind !== TokenKind.EOF) n++;
  } catch {
    // Not a document: the parser will say so.
  }
  return n;
}

/**
 * Before the document is parsed or validated (whose cost grows with its size, and faster for
 * overlapping fields): a document of more than `max` tokens is refused, QUERY_LIMIT_EXCEEDED.
 */
export function tokenLimit(max: number): Preflight {
  return ({ caller, method, url, body }) => {
    const query = method === 'GET' ? url.searchParams.get('query') : (body as { query?: unknown } | null)?.query;
    if (typeof query !== 'string' || countTokens(query, max) <= max) return;
    log.warn({ client: caller.id, limit: 'tokens', max }, 'query limit exceeded');
    throw new Rejection('QUERY_LIMIT_EXCEEDED', `Token limit of ${max} exceeded.`, {}, { limit: 'tokens' });
  };
}
