/**
 * The requests a gateway is serving right now. Background audit work (the projection into
 * audit_events) yields to them: it runs while no request is in flight, unless it has fallen
 * too far behind (see ProjectionOptions.maxLagRecords / maxLagMs), so that a response never
 * waits for indexing it does not need.
 */
export class RequestActivity {
  private inFlight = 0;
  /** One promise per busy spell, shared by everyone waiting for its end (nothing piles up). */
  private idleSignal: { promise: Promise<void>; resolve: () => void } | null = null;

  /** A request starts; call the returned function once when it is over (idempotent). */
  begin(): () => void {
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.inFlight === 0 && this.idleSignal) {
        const signal = this.idleSignal;
        this.idleSignal = null;
        signal.resolve();
      }
    };
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    if (!this.idleSignal) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.idleSignal = { promise, resolve };
    }
    return this.idleSignal.promise;
  }
}
