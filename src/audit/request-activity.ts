import { SharedSignal } from './signal';

/**
 * The requests a gateway is serving right now. Background audit work (the projection into
 * audit_events) yields to them: it runs while no request is in flight, unless it has fallen
 * too far behind (see ProjectionOptions.maxLagRecords / maxLagMs), so that a response never
 * waits for indexing it does not need.
 */
export class RequestActivity {
  private inFlight = 0;
  /** Fired at the end of each busy spell, for everyone waiting for it. */
  private readonly idleSignal = new SharedSignal();

  /** A request starts; call the returned function once when it is over (idempotent). */
  begin(): () => void {
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.inFlight === 0) this.idleSignal.fire();
    };
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : this.idleSignal.wait();
  }
}
