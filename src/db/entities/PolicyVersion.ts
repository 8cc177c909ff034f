import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { now } from '../../clock';

/**
 * The store's ledger of policy versions: each declared version a gateway started with, and the
 * fingerprint of the content it had then (src/policy/fingerprint.ts). A version is recorded
 * once and never changes: a gateway started with a known version whose content differs is
 * refused (recordPolicyVersion), and `npm run audit:verify` reports records stamped with a
 * fingerprint the ledger does not hold for their version.
 */
@Entity('policy_versions')
export class PolicyVersion {
  /** The declared version, `2026-12-02.1`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  version!: string;

  /** The fingerprint of the content first started under it, `3f9a2c1d`. */
  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'first_seen_at', type: 'datetime', precision: 3 })
  firstSeenAt!: Date;

  /** The policy file it was read from, as the gateway was given it (a hint for the operator). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  file!: string | null;
}

/** What the ledger needs of a compiled policy. */
export interface LedgerPolicy {
  readonly version: string;
  readonly declaredVersion: string;
  readonly hash: string;
}

/** The widest policy version audit rows hold (`policy_version` of audit_batches and audit_events). */
const AUDIT_VERSION_CHARS = 64;

/**
 * A policy whose declared version is already in the ledger with other content: the file was
 * edited without a new version. The gateway refuses to start; the operator bumps `version:`.
 */
export class PolicyVersionChangedError extends Error {
  override readonly name = 'PolicyVersionChangedError';
  readonly code = 'POLICY_VERSION_CHANGED';

  constructor(
    readonly version: string,
    readonly recordedHash: string,
    readonly hash: string,
    readonly file: string | null,
    readonly recordedFile: string | null,
  ) {
    super(
      `POLICY_VERSION_CHANGED: policy version "${version}" is recorded in this store with hash ${recordedHash}` +
        `${recordedFile ? ` (from ${recordedFile})` : ''}, but ${file ?? 'this policy'} hashes to ${hash}: ` +
        'its content changed without a new version; give it a new "version:" and start again',
    );
  }
}

/** Another process inserted the row first: duplicate key, or, on Galera, a certification failure (1213). */
function lostTheRace(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } };
  const code = err.driverError?.code ?? err.code;
  const errno = err.driverError?.errno ?? err.errno;
  return code === 'ER_DUP_ENTRY' || code === 'ER_LOCK_DEADLOCK' || errno === 1062 || errno === 1213
    || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

/**
 * Records the policy's version in the store's ledger if it is new, or checks that the ledger
 * holds it with the same fingerprint; throws PolicyVersionChangedError when it does not.
 * Safe for several gateways starting together: the primary key lets one INSERT win, and the
 * others read the winner's row and compare. Returns whether this call recorded it.
 */
export async function recordPolicyVersion(ds: DataSource, policy: LedgerPolicy, file: string | null = null): Promise<boolean> {
  if (policy.version.length > AUDIT_VERSION_CHARS) {
    throw new Error(`policy version "${policy.declaredVersion}" is too long: with its hash it must fit ${AUDIT_VERSION_CHARS} characters (audit records)`);
  }
  const ledger = ds.getRepository(PolicyVersion);
  const shownFile = file === null ? null : file.length > 255 ? `…${file.slice(-254)}` : file;
  for (let attempt = 1; ; attempt++) {
    const known = await ledger.findOneBy({ version: policy.declaredVersion });
    if (known) {
      if (known.hash !== policy.hash) throw new PolicyVersionChangedError(policy.declaredVersion, known.hash, policy.hash, shownFile, known.file);
      return false;
    }
    try {
      await ledger.insert({ version: policy.declaredVersion, hash: policy.hash, firstSeenAt: now(), file: shownFile });
      return true;
    } catch (e) {
      // Lost to a concurrent start: read its row and compare (a few times, for Galera's certification failures).
      if (!lostTheRace(e) || attempt >= 5) throw e;
    }
  }
}

/** The ledger, version → fingerprint. */
export async function policyLedger(ds: DataSource): Promise<Map<string, string>> {
  const rows = await ds.getRepository(PolicyVersion).find();
  return new Map(rows.map((r) => [r.version, r.hash]));
}
