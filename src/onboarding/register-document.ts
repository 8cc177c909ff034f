import { CheckContext, checkOperation, FieldCheck, neverReceived, OperationCheck } from './check-operation';
import { StoredDocument, TrustedDocuments } from './trusted-documents';

/** A document that was not registered, with the check that refused it. */
export class DocumentRefused extends Error {
  constructor(message: string, readonly check: OperationCheck, readonly fields: readonly FieldCheck[] = []) {
    super(message);
  }
}

export interface RegisterOptions {
  /** Register even with fields the client can never receive. */
  force?: boolean;
  /** Check under this purpose (as X-Purpose would declare it) where the document declares none. */
  purpose?: string | null;
}

/**
 * Registers a document for a client with its check (SPEC §10). Refused: a document that is
 * not valid GraphQL, or (unless forced) one the gateway would refuse for its purpose or with
 * a field the client can never receive, whoever the subject: almost always a partner's mistake.
 */
export async function registerDocument(
  documents: TrustedDocuments,
  ctx: CheckContext,
  client: { readonly id: string; readonly purposes: readonly string[] },
  text: string,
  options: RegisterOptions = {},
): Promise<{ stored: StoredDocument; check: OperationCheck; forcedPast: readonly FieldCheck[] }> {
  const check = checkOperation(ctx, { document: text, purpose: options.purpose ?? null, client, hideSuggestions: false });
  if (!check.valid) throw new DocumentRefused(`the document is not valid GraphQL:\n  ${check.errors.join('\n  ')}`, check);
  if (check.operations.length === 0) throw new DocumentRefused('the document has no operation', check);
  const denied = neverReceived(check);
  if (!options.force) {
    // Without a purpose the gateway refuses it (PURPOSE_REQUIRED): say how to give one before how to force it.
    const hint = check.operations.some((o) => o.rejection === 'PURPOSE_REQUIRED')
      ? '(declare the purpose in the document with @purpose(name: "…"), or check it under the purpose the client will send as X-Purpose with --purpose <purpose>; --force registers it anyway)'
      : '(--force registers it anyway)';
    if (check.errors.length) throw new DocumentRefused(`the gateway would refuse it:\n  ${check.errors.join('\n  ')}\n${hint}`, check, denied);
    if (denied.length) {
      const list = denied.map((f) => `${f.operation ? `${f.operation}: ` : ''}${f.path} (${f.category}, ${f.reason})`).join('\n  ');
      throw new DocumentRefused(`client "${client.id}" can never receive:\n  ${list}\n(--force registers it anyway)`, check, denied);
    }
  }
  return { stored: await documents.put(client.id, text, check), check, forcedPast: denied };
}
