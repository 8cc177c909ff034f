import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Every environment variable the gateway reads, parsed and validated in one place. */
export interface Config {
  port: number;
  host: string;
  /** Where the embedded database and generated secrets live. */
  dataDir: string;
  /** `mysql://…` for MySQL/MariaDB; undefined means the embedded SQLite file in dataDir. */
  databaseUrl: string | undefined;
  sqliteFile: string;
  production: boolean;
  development: boolean;
  logLevel: string;
  policyFile: string | undefined;
  pseudonymSecret: string;
  /** How long an authenticated key is trusted before the registry is read again. */
  clientCacheMs: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** How long a query may run once its checks (authentication, body, preflight) passed, before it is given up (EXECUTION_TIMEOUT, src/request/deadline.ts). */
  executionTimeoutMs: number;
  /** How often the recipients of recent erasures and corrections are listed again, for requests in flight as they ran (src/rights/follow-up.ts). */
  rightsFollowUpMs: number;
  /** Query limits (SPEC §2), checked before execution: QUERY_LIMIT_EXCEEDED beyond them. */
  limits: QueryLimits;
  /** Requests per second for a client whose registry row sets none (0: no limit). */
  rateLimitPerSecond: number;
  /** A client's token bucket holds this many seconds of its rate (its burst). */
  rateLimitBurstSeconds: number;
  /** Who may introspect: `internal` clients only (default, in every mode), or `all` (refused in production). */
  introspection: 'internal' | 'all';
  /** What executes the enforced schema: graphql-js, or graphql-jit's compiled queries (src/enforcement/jit-executor.ts). */
  executor: Executor;
  /** How many compiled queries the graphql-jit executor keeps (a bounded LRU). */
  jitCacheSize: number;
  /** When set, GET /metrics answers only `Authorization: Bearer <this token>` (the scraper's); unset, it is open. */
  metricsToken: string | undefined;
}

export const EXECUTORS = ['graphql-js', 'jit'] as const;
export type Executor = (typeof EXECUTORS)[number];
/** GRAPHQL_EXECUTOR when unset (issue 21: becomes 'jit' once a quiet benchmark shows it faster; bench/README.md, "J: decision"). */
export const DEFAULT_EXECUTOR: Executor = 'graphql-js';
/** JIT_CACHE_SIZE when unset: compiled documents the jit executor keeps. */
export const DEFAULT_JIT_CACHE_SIZE = 500;

/** Per-operation limits; see docs/hardening.md for how each is counted. */
export interface QueryLimits {
  depth: number;
  aliases: number;
  directives: number;
  tokens: number;
  cost: number;
}

export class ConfigError extends Error {}

/** The line a failed start prints after "PurposeGate: ": a configuration or policy error as it is, anything else as "start failed: …". */
export function startFailure(e: unknown): string {
  return e instanceof ConfigError || (e as Error)?.name === 'PolicyValidationError' ? (e as Error).message : `start failed: ${(e as Error)?.message ?? e}`;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/** The embedded default generates its pseudonym secret once and keeps it beside the database. */
function embeddedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'pseudonym.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^mysql:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a mysql://user:pass@host:port/db URL (unset it for the embedded SQLite default)');
  }
  let pseudonymSecret = env.PSEUDONYM_SECRET ?? '';
  if (!pseudonymSecret) {
    if (production || databaseUrl) {
      throw new ConfigError('PSEUDONYM_SECRET is required with DATABASE_URL or NODE_ENV=production');
    }
    pseudonymSecret = embeddedSecret(dataDir);
  } else if (pseudonymSecret.length < 16) {
    throw new ConfigError('PSEUDONYM_SECRET must be at least 16 characters');
  }
  return {
    port: int(env, 'PORT', 4000),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    databaseUrl,
    sqliteFile: path.join(dataDir, env.SQLITE_FILE ?? 'purposegate.sqlite'),
    production,
    development: nodeEnv === 'development',
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    policyFile: env.POLICY_FILE || undefined,
    pseudonymSecret,
    clientCacheMs: int(env, 'CLIENT_CACHE_MS', 5000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 100_000, 1),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 1),
    executionTimeoutMs: int(env, 'EXECUTION_TIMEOUT_MS', 30_000, 1),
    rightsFollowUpMs: int(env, 'RIGHTS_FOLLOW_UP_MS', 5_000, 1),
    limits: {
      depth: int(env, 'QUERY_MAX_DEPTH', 10, 1),
      aliases: int(env, 'QUERY_MAX_ALIASES', 15, 1),
      // `@purpose` is one of them; `@include`/`@skip` the others.
      directives: int(env, 'QUERY_MAX_DIRECTIVES', 20, 1),
      tokens: int(env, 'QUERY_MAX_TOKENS', 2000, 1),
      cost: int(env, 'QUERY_MAX_COST', 25_000, 1),
    },
    rateLimitPerSecond: int(env, 'RATE_LIMIT_PER_SECOND', 100),
    rateLimitBurstSeconds: int(env, 'RATE_LIMIT_BURST_SECONDS', 2, 1),
    introspection: introspectionFor(env.INTROSPECTION, production),
    executor: executorFor(env.GRAPHQL_EXECUTOR),
    jitCacheSize: int(env, 'JIT_CACHE_SIZE', DEFAULT_JIT_CACHE_SIZE, 1),
    metricsToken: metricsTokenFor(env.METRICS_TOKEN),
  };
}

function introspectionFor(raw: string | undefined, production: boolean): 'internal' | 'all' {
  const v = raw?.trim() || 'internal';
  if (v !== 'internal' && v !== 'all') throw new ConfigError(`INTROSPECTION must be "internal" or "all", got "${raw}"`);
  if (v === 'all' && production) throw new ConfigError('INTROSPECTION=all is refused with NODE_ENV=production');
  return v;
}

/** At least 16 characters (a guessable token would protect nothing), of the characters a bearer token may hold. */
function metricsTokenFor(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Za-z0-9._~+/=-]{16,512}$/.test(raw)) throw new ConfigError('METRICS_TOKEN must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ + / = -');
  return raw;
}

function executorFor(raw: string | undefined): Executor {
  const v = raw?.trim() || DEFAULT_EXECUTOR;
  if (!(EXECUTORS as readonly string[]).includes(v)) throw new ConfigError(`GRAPHQL_EXECUTOR must be one of ${EXECUTORS.map((e) => `"${e}"`).join(', ')}, got "${raw}"`);
  return v as Executor;
}
