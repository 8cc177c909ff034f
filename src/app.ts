import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createAudit, Audit, RequestActivity } from './audit';
import type { LogSync } from './audit/sqlite';
import { ClientRegistry } from './callers/registry';
import type { Config } from './config';
import { openStore } from './db/data-source';
import { recordPolicyVersion } from './db/entities/PolicyVersion';
import type { GatewayContext } from './graphql/context';
import { formatError, internalStatusPlugin } from './graphql/errors-plugin';
import { enforceSchema } from './enforcement/enforce-schema';
import { DisclosureCommit, disclosurePlugin, purposePlugin } from './enforcement/plugin';
import { checkSchemaAgainstPolicy, sensitiveFields } from './enforcement/sensitive-fields';
import { buildGatewaySchema } from './graphql/schema';
import { compilePolicy, CompiledPolicy, defaultPolicyPath, loadPolicy } from './policy';
import { hardening } from './hardening';
import { consoleRoutes } from './http/console-assets';
import { graphqlHandler, Preflight } from './http/graphql-handler';
import { recordsDownloadRoute } from './http/records-download';
import { subjectCopyRoute } from './http/subject-copy-route';
import { createHttpServer, ReadinessCheck, Route } from './http/server';
import { log } from './log';
import { countOutcomes, createMetrics, measuredCommit, metricsRoute } from './metrics';
import { ACTIVITY_FOLLOWER, startActivityRollup } from './review';
import { installOnboarding } from './onboarding';
import { UNRESTRICTED } from './policy/scope';
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
  /**
   * Serve the same schema and resolvers with enforcement and audit off. Exists only so that
   * `npm run bench` can measure their cost (variant B); no configuration or CLI reaches it.
   */
  benchmarkWithoutEnforcement?: boolean;
  /**
   * Enforce, but commit no audit record (the response does not wait for one). Exists only so
   * that `npm run bench` can measure what the audit adds to an enforced request (variant E).
   */
  benchmarkWithoutAudit?: boolean;
  /** SQLite: how the audit syncs the write-ahead log after each commit (tests hold or fail it; default fdatasync). */
  auditLogSync?: LogSync;
}

/** Benchmark variant B only: with enforcement off, every row is in scope (the purpose plugin decides it otherwise). */
const everyRowInScope: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue }) {
        contextValue.loaders.useScope(UNRESTRICTED);
      },
    };
  },
};

/** Compose the gateway: store → schema → Apollo → HTTP. Listens on config.port (0: any free port). */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
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
  const unenforced = options.benchmarkWithoutEnforcement === true;
  const schema = unenforced ? baseSchema : enforceSchema(baseSchema, { policy, pseudonymSecret: config.pseudonymSecret });
  const activity = new RequestActivity();
  const audit = createAudit(ds, { activity, followers: [ACTIVITY_FOLLOWER], logSync: options.auditLogSync });
  const commit: DisclosureCommit = options.benchmarkWithoutAudit === true ? () => Promise.resolve() : (d) => audit.commit(d);
  const metrics = createMetrics({ ds, auditStats: () => audit.stats() });

  const guard = hardening(config);
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ...guard.plugins, // introspection, query limits, suggestions: refusals before the purpose is even read
    ...(unenforced ? [everyRowInScope] : [purposePlugin({ policy, fields, cases: caseLookup(ds) }), disclosurePlugin(measuredCommit(metrics, commit))]),
    internalStatusPlugin,
  ];
  const apollo = new ApolloServer<GatewayContext>({
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
  });
  await apollo.start();

  const readiness: ReadinessCheck[] = [{ name: 'database', check: async () => void (await ds.query('SELECT 1')) }, audit.readiness];
  // Checks between authentication and execution, in order (rate limit, trusted documents…).
  const onboarding = installOnboarding({ ds, registry, policy, schema: baseSchema, fields, cacheMs: config.clientCacheMs });
  // Untrusted documents are refused before their text is tokenised.
  const preflight: Preflight[] = [guard.rateLimit, onboarding.trustedDocuments, guard.tokenLimit];
  const routes: Record<string, Route> = {
    '/graphql': countOutcomes(metrics.requests, '/graphql', graphqlHandler({ apollo, registry, ds, bodyLimitBytes: config.bodyLimitBytes, preflight, activity, audit })),
    '/schema.graphql': onboarding.schemaRoute,
    '/metrics': metricsRoute(metrics),
    // The review console (SPEC §9): its page and assets, and the streaming download of a subject's records.
    ...consoleRoutes(),
    '/console/records': countOutcomes(metrics.requests, '/console/records', recordsDownloadRoute({ ds, audit, registry })),
    '/console/subject-copy': countOutcomes(metrics.requests, '/console/subject-copy', subjectCopyRoute({ ds, registry, policy, schema: baseSchema, pseudonymSecret: config.pseudonymSecret, commit: measuredCommit(metrics, (d) => audit.commit(d)), audit })),
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

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await apollo.stop();
    await activityRollup.stop();
    await audit.close();
    if (ownsStore && ds.isInitialized) await ds.destroy();
    log.info('gateway stopped');
  })());
  return { url, port, ds, policy, audit, server, registry, close };
}
