import { ApolloServer, ApolloServerOptionsWithSchema, ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createAudit, Audit, COMMIT_TIMEOUT_MS, RequestActivity } from './audit';
import type { LogSync } from './audit/sqlite';
import { ClientRegistry } from './callers/registry';
import type { Config } from './config';
import { openStore } from './db/data-source';
import { recordPolicyVersion } from './db/entities/PolicyVersion';
import type { GatewayContext } from './request/context';
import type { Preflight } from './request/preflight';
import { formatError, internalStatusPlugin } from './graphql/errors-plugin';
import { deadlinePlugin } from './request/deadline';
import { enforceSchema } from './enforcement/enforce-schema';
import { jitGateway } from './enforcement/jit-executor';
import { DisclosureCommit, disclosurePlugin, purposePlugin } from './enforcement/plugin';
import { checkSchemaAgainstPolicy, SensitiveField, sensitiveFields } from './enforcement/sensitive-fields';
import { buildGatewaySchema } from './graphql/schema';
import { compilePolicy, CompiledPolicy, defaultPolicyPath, loadPolicy } from './policy';
import { hardening } from './hardening';
import { consoleRoutes } from './http/console-assets';
import { graphqlHandler } from './http/graphql-handler';
import { recordsDownloadRoute } from './http/records-download';
import { subjectCopyRoute } from './http/subject-copy-route';
import { createHttpServer, ReadinessCheck, Route } from './http/server';
import { log } from './log';
import { countOutcomes, createMetrics, GatewayMetrics, measuredCommit, metricsRoute } from './metrics';
import { ACTIVITY_FOLLOWER, startActivityRollup } from './review';
import { resolverServices } from './services';
import { installOnboarding } from './onboarding';
import { followUpWindowMs, startRightsFollowUp } from './rights/follow-up';
import { caseLookup } from './relationships/cases';

export interface Gateway {
  url: string;
  port: number;
  ds: DataSource;
  policy: CompiledPolicy;
  audit: Audit;
  server: Server;
  registry: ClientRegistry;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** An already open store (tests share one); otherwise the gateway opens and migrates its own. */
  ds?: DataSource;
  /** SQLite: how the audit syncs the write-ahead log after each commit (tests hold or fail it; default fdatasync). */
  auditLogSync?: LogSync;
}

/**
 * What every gateway is built on, whatever it serves: the store, the client registry, the policy
 * (checked against the schema and recorded in the version ledger), the schema before enforcement,
 * the audit and the metrics. Built once by openGateway; serveGateway assembles the rest on it.
 */
export interface GatewayCore {
  readonly config: Config;
  readonly ds: DataSource;
  /** The core opened the store itself (and closes it); false when it was handed one. */
  readonly ownsStore: boolean;
  readonly registry: ClientRegistry;
  readonly policy: CompiledPolicy;
  /** The gateway's schema with its @sensitive directives, before enforcement. */
  readonly baseSchema: GraphQLSchema;
  readonly fields: Map<string, SensitiveField>;
  /** Requests in flight (background audit work yields to them). */
  readonly activity: RequestActivity;
  readonly audit: Audit;
  readonly metrics: GatewayMetrics;
}

/** How the gateway serves GraphQL: the schema and the plugins that read the purpose and commit the audit. */
export interface Serving {
  /** The schema Apollo executes (the enforced one as shipped). */
  schema: GraphQLSchema;
  /** Run after the hardening plugins and before the internal-status plugin (purpose and disclosure as shipped). */
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** Has the last word on Apollo's options (the benchmark's graphql-shield variant); as built otherwise. */
  apollo?: (options: ApolloServerOptionsWithSchema<GatewayContext>) => ApolloServerOptionsWithSchema<GatewayContext>;
}

/** Opens (or takes) the store, checks the policy against the schema, records its version, starts the audit. */
export async function openGateway(config: Config, options: GatewayOptions = {}): Promise<GatewayCore> {
  const ds = options.ds ?? (await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile }));
  const ownsStore = !options.ds;
  const registry = new ClientRegistry(ds, config.clientCacheMs);
  const policyDoc = loadPolicy(config.policyFile ?? defaultPolicyPath());
  const policy = compilePolicy(policyDoc);
  const baseSchema = buildGatewaySchema();
  const fields = sensitiveFields(baseSchema);
  checkSchemaAgainstPolicy(fields, policy);
  // Once the policy is known to be valid: the version it stamps must name one content only (POLICY_VERSION_CHANGED otherwise).
  try {
    if (await recordPolicyVersion(ds, policy, policyDoc.file)) log.info({ policyVersion: policy.version, file: policyDoc.file }, 'policy version recorded in the ledger');
  } catch (e) {
    if (ownsStore) await ds.destroy().catch(() => undefined);
    throw e;
  }
  const activity = new RequestActivity();
  const audit = createAudit(ds, { activity, followers: [ACTIVITY_FOLLOWER], logSync: options.auditLogSync });
  const metrics = createMetrics({ ds, auditStats: () => audit.stats() });
  return { config, ds, ownsStore, registry, policy, baseSchema, fields, activity, audit, metrics };
}

/** The audit commit as shipped: the response waits until its records are durable. */
function auditCommit(core: GatewayCore): DisclosureCommit {
  return (d) => core.audit.commit(d);
}

/**
 * GraphQL as shipped: the schema with every @sensitive field decided by the policy, the purpose
 * plugin (declared purpose, row scope) and the disclosure plugin committing each response's
 * records with `commit` (the audit's), measured.
 */
export function shippedServing(core: GatewayCore, commit: DisclosureCommit = auditCommit(core)): Serving {
  const { ds, policy, baseSchema, fields, metrics, config } = core;
  return {
    schema: enforceSchema(baseSchema, { policy, pseudonymSecret: config.pseudonymSecret }),
    plugins: [purposePlugin({ policy, fields, cases: caseLookup(ds) }), disclosurePlugin(measuredCommit(metrics, commit))],
  };
}

/** Assembles Apollo and the HTTP routes on `core`, serving GraphQL as `serving` says; listens on config.port (0: any free port). */
export async function serveGateway(core: GatewayCore, serving: Serving): Promise<Gateway> {
  const { config, ds, ownsStore, registry, policy, baseSchema, fields, activity, audit, metrics } = core;
  const { schema } = serving;
  const guard = hardening(config);
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    deadlinePlugin, // first: an operation given up at its deadline runs nothing, a mutation is never given up
    ...guard.plugins, // introspection, query limits, suggestions: refusals before the purpose is even read
    ...serving.plugins,
    internalStatusPlugin,
  ];
  const options: ApolloServerOptionsWithSchema<GatewayContext> = {
    schema,
    plugins,
    formatError,
    includeStacktraceInErrorResponses: false,
    // server.ts owns SIGTERM/SIGINT: a second stop() from Apollo's own handler would never resolve.
    stopOnTerminationSignals: false,
    introspection: true,
    // No automatic persisted queries: a hash Apollo remembers would bypass the preflight checks (trusted documents, tokens).
    persistedQueries: false,
    csrfPrevention: { requestHeaders: ['authorization', 'x-purpose', 'apollo-require-preflight', 'x-apollo-operation-name'] },
  };
  const configured = serving.apollo ? serving.apollo(options) : options;
  // GRAPHQL_EXECUTOR=jit: the served schema executed by graphql-jit, through Apollo's documented executor hook (a gateway).
  const { schema: served, ...rest } = configured;
  const apollo = new ApolloServer<GatewayContext>(config.executor === 'jit' ? { ...rest, gateway: jitGateway(served, policy, config.jitCacheSize) } : configured);
  await apollo.start();

  const readiness: ReadinessCheck[] = [{ name: 'database', check: async () => void (await ds.query('SELECT 1')) }, audit.readiness];
  // Checks between authentication and execution, in order (rate limit, trusted documents…).
  const onboarding = installOnboarding({ ds, registry, policy, schema: baseSchema, fields, cacheMs: config.clientCacheMs });
  const services = resolverServices(ds, onboarding.check, audit);
  // Untrusted documents are refused before their text is tokenised.
  const preflight: Preflight[] = [guard.rateLimit, onboarding.trustedDocuments, guard.tokenLimit];
  const routes: Record<string, Route> = {
    '/graphql': countOutcomes(metrics.requests, '/graphql', graphqlHandler({ apollo, registry, ds, services, bodyLimitBytes: config.bodyLimitBytes, executionTimeoutMs: config.executionTimeoutMs, preflight, activity })),
    '/schema.graphql': countOutcomes(metrics.requests, '/schema.graphql', onboarding.schemaRoute),
    '/metrics': metricsRoute(metrics, config.metricsToken),
    // The review console (SPEC §9): its page and assets, and the streaming download of a subject's records.
    ...consoleRoutes(),
    '/console/records': countOutcomes(metrics.requests, '/console/records', recordsDownloadRoute({ ds, audit: services.audit, registry })),
    '/console/subject-copy': countOutcomes(metrics.requests, '/console/subject-copy', subjectCopyRoute({ ds, registry, services, policy, schema: baseSchema, pseudonymSecret: config.pseudonymSecret, commit: measuredCommit(metrics, auditCommit(core)) })),
  };
  const server = createHttpServer(routes, readiness, config.requestTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  // The Clients view's hourly counts, kept up to date in the background (src/review/activity-rollup.ts).
  const activityRollup = startActivityRollup(ds, audit.projection);
  // The late recipients of an erasure or a correction: requests in flight as it ran (src/rights/follow-up.ts).
  const rightsFollowUp = startRightsFollowUp(audit, ds, followUpWindowMs(config.executionTimeoutMs, COMMIT_TIMEOUT_MS), config.rightsFollowUpMs);

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await apollo.stop();
    await activityRollup.stop();
    await rightsFollowUp.stop();
    await audit.close();
    if (ownsStore && ds.isInitialized) await ds.destroy();
    log.info('gateway stopped');
  })());
  return { url, port, ds, policy, audit, server, registry, close };
}

/** Compose the gateway as shipped: store → enforced schema → purpose and audit plugins → Apollo → HTTP. */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const core = await openGateway(config, options);
  return serveGateway(core, shippedServing(core));
}
