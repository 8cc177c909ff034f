/**
 * ONE projection step, for both stores: what it reads and writes, in order, as a generator that
 * yields each statement by name (`[name, params]`) and is resumed with its outcome — the rows of
 * a read (`progress`, `nextBatches`, `<follower>.rolled`), the rows changed by a write. Each
 * store runs it in one transaction of its own (src/audit/mysql: over a pooled connection,
 * asynchronously; src/audit/sqlite: synchronously, in the projection's worker thread), with the
 * statements of its dialect (ProjectionSql). A step whose progress moved under it returns
 * `records: -1`, and the store rolls it back.
 *
 * Self-contained (no imports, nothing from module scope): its source also runs in the SQLite
 * projection's worker.
 */

/** Where one projection step left a chain; `records` −1: another projector moved it first (read again). */
export interface ProjectionProgress {
  batch: number;
  seq: number;
  records: number;
}

/** A statement by name and its parameters. */
export type StepStatement = [name: string, params: unknown[]];

/** A follower's part of a step: its statements' name prefix and how many records it catches up at most. */
export interface FollowLimit {
  name: string;
  limit: number;
}

export function projectionSteps() {
  const fail = (message: string, code: string) => Object.assign(new Error(message), { code });

  /** A follower counts the chain's records after its own progress, up to projectedSeq and at most `limit` of them; how many it counted. */
  function* follow(chainId: string, projectedSeq: number, f: FollowLimit): Generator<StepStatement, number, unknown> {
    const [r] = (yield [`${f.name}.rolled`, [chainId]]) as { rolled_seq?: unknown }[];
    const rolled = Number(r?.rolled_seq ?? 0);
    const upTo = Math.min(projectedSeq, rolled + f.limit);
    if (upTo <= rolled) return 0;
    yield [`${f.name}.count`, [chainId, rolled, upTo]];
    yield [`${f.name}.progress`, [chainId, upTo]];
    return upTo - rolled;
  }

  /**
   * Read the chain's progress, pick the next contiguous batches (up to maxRecords records, at
   * least one batch; a gap stops it), unfold them into audit_events and check the count, let
   * each follower catch up to there, and move the progress only if nobody moved it first.
   */
  function* step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): Generator<StepStatement, ProjectionProgress | null, unknown> {
    const [p] = (yield ['progress', [chainId]]) as { projected_batch: unknown; projected_seq: unknown }[];
    if (!p) return null;
    const from = Number(p.projected_batch);
    let to = from;
    let seq = Number(p.projected_seq);
    let records = 0;
    for (const b of (yield ['nextBatches', [chainId, from, maxRecords]]) as { seq: unknown; first_seq: unknown; record_count: unknown }[]) {
      if (records > 0 && records + Number(b.record_count) > maxRecords) break;
      if (Number(b.seq) !== to + 1 || Number(b.first_seq) !== seq + 1) {
        if (records > 0) break; // project up to the gap; the next step stops at it
        throw fail(`chain ${chainId}: batch ${b.seq} (first record ${b.first_seq}) does not follow batch ${to} (record ${seq})`, 'AUDIT_PROJECTION_GAP');
      }
      to = Number(b.seq);
      seq += Number(b.record_count);
      records += Number(b.record_count);
    }
    if (to === from) return { batch: from, seq, records: 0 };
    const inserted = yield ['project', [chainId, from, to]];
    if (inserted !== records) throw fail(`chain ${chainId}: batches ${from + 1}..${to} unfold into ${inserted} records, not ${records}`, 'AUDIT_PROJECTION_COUNT');
    // The followers before the advance locks the chain's row (MySQL: the writer moves its head on that row).
    for (const f of followers) yield* follow(chainId, seq, f);
    if ((yield ['advance', [to, seq, chainId, from]]) !== 1) return { batch: from, seq: Number(p.projected_seq), records: -1 };
    return { batch: to, seq, records };
  }

  /** A follower alone, up to the chain's projected records (its own catch-up loop, e.g. src/review/activity-rollup.ts). */
  function* catchUp(chainId: string, f: FollowLimit): Generator<StepStatement, number, unknown> {
    const [p] = (yield ['progress', [chainId]]) as { projected_seq: unknown }[];
    return p ? yield* follow(chainId, Number(p.projected_seq), f) : 0;
  }

  return { step, catchUp };
}
