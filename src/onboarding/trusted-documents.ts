import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { now } from '../clock';
import { TrustedDocument } from '../db/entities/TrustedDocument';
import type { OperationCheck } from './check-operation';

/**
 * The id of a document: lower-case hex SHA-256 of its UTF-8 text exactly as given, with no
 * normalisation (no whitespace or comment stripping), so that a client can compute it with
 * any tool from the file it registered, and a changed byte is a different document.
 */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredDocument {
  readonly sha256: string;
  readonly document: string;
  readonly operationNames: readonly (string | null)[];
  readonly check: OperationCheck;
  readonly createdAt: Date;
}

function toStored(row: TrustedDocument): StoredDocument {
  return { sha256: row.sha256, document: row.document, operationNames: row.operationNames, check: JSON.parse(row.checkJson) as OperationCheck, createdAt: row.createdAt };
}

/**
 * The trusted documents of every client. Lookups for requests are cached for `cacheMs`
 * (a document's text never changes under its hash; a removal takes effect within that time).
 */
export class TrustedDocuments {
  private readonly cache = new Map<string, { text: string; until: number }>();

  constructor(private readonly ds: DataSource, private readonly cacheMs = 5000) {}

  /** The registered text of a client's document, or null. */
  async text(clientId: string, sha256: string): Promise<string | null> {
    if (!SHA256_HEX.test(sha256)) return null;
    const key = `${clientId}\u0000${sha256}`;
    const t = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > t) return hit.text;
    const row = await this.ds.getRepository(TrustedDocument).findOne({ where: { clientId, sha256 }, select: { id: true, document: true } });
    if (!row) return null;
    if (this.cacheMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { text: row.document, until: t + this.cacheMs });
    }
    return row.document;
  }

  /** Registers (or re-registers, refreshing its check) a document for a client. */
  async put(clientId: string, document: string, check: OperationCheck): Promise<StoredDocument> {
    const repo = this.ds.getRepository(TrustedDocument);
    const sha256 = documentHash(document);
    const operationNames = check.operations.map((o) => o.name);
    const existing = await repo.findOne({ where: { clientId, sha256 } });
    const row = existing ?? repo.create({ clientId, sha256, document, createdAt: now() });
    row.operationNames = operationNames;
    row.checkJson = JSON.stringify(check);
    return toStored(await repo.save(row));
  }

  async list(clientId: string): Promise<StoredDocument[]> {
    return (await this.ds.getRepository(TrustedDocument).find({ where: { clientId }, order: { id: 'ASC' } })).map(toStored);
  }

  async remove(clientId: string, sha256: string): Promise<boolean> {
    const r = await this.ds.getRepository(TrustedDocument).delete({ clientId, sha256: sha256.toLowerCase() });
    this.cache.clear();
    return (r.affected ?? 0) > 0;
  }
}
