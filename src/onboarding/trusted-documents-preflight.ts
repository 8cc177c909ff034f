import type { Preflight, PreflightRequest } from '../request/preflight';
import { Rejection } from '../request/preflight';
import { log } from '../log';
import { documentHash, TrustedDocuments } from './trusted-documents';

/** The parts of a GraphQL-over-HTTP request that name its document, read and rewritten the same way for POST bodies and GET parameters. */
interface DocumentFields {
  documentId: unknown;
  apolloHash: unknown;
  query: unknown;
  /** Runs the document `text` instead of whatever named it. */
  use(text: string): void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fromBody(body: Record<string, unknown>): DocumentFields {
  const extensions = isRecord(body.extensions) ? body.extensions : null;
  const persisted = extensions && isRecord(extensions.persistedQuery) ? extensions.persistedQuery : null;
  return {
    documentId: body.documentId,
    apolloHash: persisted?.sha256Hash,
    query: body.query,
    use(text) {
      body.query = text;
      delete body.documentId;
      // Apollo's own persisted-query cache must not take over a document we resolved.
      if (extensions) delete extensions.persistedQuery;
    },
  };
}

function fromSearch(params: URLSearchParams): DocumentFields {
  let extensions: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = params.has('extensions') ? JSON.parse(params.get('extensions')!) : null;
    extensions = isRecord(parsed) ? parsed : null;
  } catch {
    extensions = null; // Apollo answers the malformed parameter itself
  }
  const persisted = extensions && isRecord(extensions.persistedQuery) ? extensions.persistedQuery : null;
  return {
    documentId: params.get('documentId') ?? undefined,
    apolloHash: persisted?.sha256Hash,
    query: params.get('query') ?? undefined,
    use(text) {
      params.set('query', text);
      params.delete('documentId');
      if (extensions && persisted) {
        delete extensions.persistedQuery;
        params.set('extensions', JSON.stringify(extensions));
      }
    },
  };
}

const DOCUMENT_ID = /^sha256:([0-9a-fA-F]{64})$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

function notTrusted(clientId: string, what: string): Rejection {
  return new Rejection('DOCUMENT_NOT_TRUSTED', `Client "${clientId}" may only run documents registered for it; ${what}`);
}

/**
 * Trusted documents (SPEC §10), before any parsing of the document: a registered document
 * may be named by `documentId: "sha256:<hex>"` (GraphQL-over-HTTP) or Apollo's
 * `extensions.persistedQuery.sha256Hash`, and is then run from its stored text. A client
 * flagged trusted-documents-only is refused anything else, full text included unless it
 * hashes to a registered document. Other clients may use registered ids and send any text.
 */
export function trustedDocumentsPreflight(documents: TrustedDocuments): Preflight {
  return async (request: PreflightRequest) => {
    const { caller } = request;
    const only = caller.trustedDocumentsOnly;
    let fields: DocumentFields;
    if (request.method === 'GET') fields = fromSearch(request.url.searchParams);
    else if (isRecord(request.body)) fields = fromBody(request.body);
    else if (only) throw notTrusted(caller.id, 'send one operation as a JSON object');
    else return;

    const byId = fields.documentId !== undefined;
    if (byId || fields.apolloHash !== undefined) {
      // An Apollo hash from an ordinary client that names no registered document is Apollo's automatic persisted query: left to Apollo.
      const apq = !byId && !only;
      const raw = byId ? (typeof fields.documentId === 'string' ? DOCUMENT_ID.exec(fields.documentId)?.[1] : undefined) : fields.apolloHash;
      if (typeof raw !== 'string' || !HEX64.test(raw)) {
        if (apq) return;
        throw notTrusted(caller.id, 'a document id is "sha256:" and 64 hex digits');
      }
      const hex = raw.toLowerCase();
      const text = await documents.text(caller.id, hex);
      if (text === null) {
        if (apq) return;
        throw notTrusted(caller.id, `no document sha256:${hex.slice(0, 12)}… is registered`);
      }
      if (typeof fields.query === 'string' && fields.query !== '' && fields.query !== text) {
        throw new Rejection('BAD_REQUEST', 'The query text does not match the registered document the request names');
      }
      fields.use(text);
      log.debug({ client: caller.id, document: hex.slice(0, 12) }, 'trusted document');
      return;
    }
    if (!only) return;
    if (typeof fields.query !== 'string' || fields.query === '') throw notTrusted(caller.id, 'send a documentId');
    const sha256 = documentHash(fields.query);
    if ((await documents.text(caller.id, sha256)) === null) throw notTrusted(caller.id, `the text sent (sha256:${sha256.slice(0, 12)}…) is not a registered document`);
  };
}
