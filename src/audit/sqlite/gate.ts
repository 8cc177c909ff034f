/**
 * Between an SQLite audit writer's commits and its projection worker, in shared memory (so that
 * it costs neither a message nor a turn of either event loop): [WAITING] how many commits are
 * waiting for the write lock (the worker checks it before each step and lets them through
 * first); [STEPPING] 1 while the worker runs a step (a waiting commit is woken the moment it
 * ends, rather than polling). Built once per Audit by createAudit and handed to both. A writer
 * whose lock is held by anything else (another Audit's worker on the same file, another
 * process, a CLI) sees STEPPING 0 and retries every millisecond.
 */
export class SqliteGate {
  static readonly WAITING = 0;
  static readonly STEPPING = 1;
  readonly shared = new SharedArrayBuffer(8);
  readonly slots = new Int32Array(this.shared);

  /** A commit starts waiting for the lock (ask the worker to leave it the lock between its steps). */
  waiting(): void {
    Atomics.add(this.slots, SqliteGate.WAITING, 1);
  }

  /** It has stopped waiting. */
  done(): void {
    Atomics.sub(this.slots, SqliteGate.WAITING, 1);
    Atomics.notify(this.slots, SqliteGate.WAITING);
  }

  /** Until the worker's step ends (woken at once, not polled), or 1 ms when something else holds the lock. */
  async released(deadline: number): Promise<void> {
    if (Atomics.load(this.slots, SqliteGate.STEPPING) === 1) {
      const r = waitAsync(this.slots, SqliteGate.STEPPING, 1, Math.max(1, deadline - Date.now()));
      if (r.async) await r.value;
      // The lock is free now; the worker may have been refused its next step by the gate.
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Atomics.waitAsync (Node 16+; not in the ES2022 lib typings). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
