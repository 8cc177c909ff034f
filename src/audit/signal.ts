/**
 * A one-shot wake-up shared by everyone waiting for it: `wait()` hands out the same promise
 * until `fire()` resolves it; the next `wait()` starts a new one. Nothing piles up however many
 * wait, or however often.
 */
export class SharedSignal {
  private pending: { promise: Promise<void>; resolve: () => void } | null = null;

  wait(): Promise<void> {
    if (!this.pending) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.pending = { promise, resolve };
    }
    return this.pending.promise;
  }

  fire(): void {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve();
  }
}
