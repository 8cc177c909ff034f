import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { openStore } from '../db/data-source';

/** Open the configured store (migrated) for a command, and close it whatever happens. */
export async function withStore<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, PSEUDONYM_SECRET: process.env.PSEUDONYM_SECRET || 'cli-does-not-pseudonymise' });
  const ds = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/** Set once whoever reads stdout has gone (`| head -1`, a pager closed early): nothing more can reach them. */
let stdoutGone = false;

/** Thrown by writeOut once stdout's reader has gone: a command that only feeds the pipe stops, quietly. */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout was closed by its reader');
  }
}

/**
 * Write to stdout with back-pressure (wait for 'drain' rather than buffer a whole export in
 * memory); rejects with StdoutClosed once the reader has gone, instead of waiting for ever.
 */
export async function writeOut(chunk: string): Promise<void> {
  if (stdoutGone || process.stdout.destroyed) throw new StdoutClosed();
  if (process.stdout.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (closed: boolean) => {
      process.stdout.off('drain', drained);
      process.stdout.off('close', gone);
      if (closed) reject(new StdoutClosed());
      else resolve();
    };
    const drained = () => done(false);
    const gone = () => done(true);
    process.stdout.on('drain', drained);
    process.stdout.on('close', gone);
    if (stdoutGone || process.stdout.destroyed) done(true);
  });
}

/**
 * Run a command's main: a clear message and exit code 1 on failure, never a stack trace.
 *
 * A closed pipe on stdout (`npm run -s clients -- list | head -1`) is not a failure: the
 * command finishes its work (a client created stays created, its key was printed first), the
 * lines nobody reads are dropped, and it exits as it would have (0 unless the work failed).
 */
export function runCli(main: () => Promise<void>): void {
  const onStreamError = (stream: 'stdout' | 'stderr') => (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      if (stream === 'stdout') stdoutGone = true;
      return;
    }
    if (stream === 'stdout') process.stderr.write(`error: cannot write to stdout (${e.code ?? e.message})\n`);
    process.exit(1);
  };
  process.stdout.on('error', onStreamError('stdout'));
  process.stderr.on('error', onStreamError('stderr'));
  main().catch((e: unknown) => {
    if (e instanceof StdoutClosed) return; // the reader went away: what was left to write is not needed
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  });
}
