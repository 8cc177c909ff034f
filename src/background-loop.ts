import { log } from './log';

export interface BackgroundLoop {
  /** No pass starts after this; resolves once the one running (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * A pass of background work run again and again: `pass` after `firstDelayMs`, then each next one
 * `next(result)` ms after the previous ended (never two at once), while `alive()` holds. A failed
 * pass is logged once (`<name> failed; retrying`, with the error's name and code, never its
 * message's values) and the next is tried as after any pass; the first one to succeed after
 * failures logs `<name> running again`. Its timers keep no process alive.
 */
export function backgroundLoop<T>(name: string, pass: () => Promise<T>, options: { firstDelayMs: number; next: (result: T | undefined) => number; alive: () => boolean }): BackgroundLoop {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let failing = false;
  const schedule = (ms: number) => {
    if (stopped || !options.alive()) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    timer = null;
    running = pass()
      .then((result) => {
        if (failing) log.info(`${name} running again`);
        failing = false;
        return result;
      }, (e: unknown) => {
        if (!failing) log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, `${name} failed; retrying`);
        failing = true;
        return undefined;
      })
      .then((result) => {
        running = null;
        schedule(options.next(result));
      });
  };
  schedule(options.firstDelayMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
