import pino from 'pino';

/**
 * The operations log. It carries ids, codes and timings only: never a personal value, a key,
 * a query's variables or an SQL parameter.
 */
export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'purposegate' },
  redact: { paths: ['req.headers.authorization', '*.authorization', '*.key', '*.variables'], censor: '[redacted]' },
});

export type Log = typeof log;
