import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ClientRegistry } from './callers/registry';
import type { Config } from './config';
import { openStore } from './db/data-source';
import type { GatewayContext } from './graphql/context';
import { formatError, internalStatusPlugin } from './graphql/errors-plugin';
import { enforceSchema } from './enforcement/enforce-schema';
import { DisclosureCommit, disclosurePlugin, purposePlugin } from './enforcement/plugin';
import { checkSchemaAgainstPolicy, sensitiveFields } from './enforcement/sensitive-fields';
import { buildGatewaySchema } from './graphql/schema';
import { compilePolicy, CompiledPolicy, defaultPolicyPath, loadPolicy } from './policy';
import { graphqlHandler, Preflight } from './http/graphql-handler';
import { createHttpServer, ReadinessCheck, Route } from './http/server';
import { log } from './log';

export interface Gateway {
  url: string;
  port: number;
  ds: DataSource;
  policy: CompiledPolicy;
  server: Server;
  registry: ClientRegistry;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** An already open store (tests share one); otherwise the gateway opens and migrates its own. */
  ds?: DataSource;
}

/** Compose the gateway: store → schema → Apollo → HTTP. Listens on config.port (0: any free port). */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const ds = options.ds ?? (await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile }));
  const ownsStore = !options.ds;
  const registry = new ClientRegistry(ds, config.clientCacheMs);
  const policy = compilePolicy(loadPolicy(config.policyFile ?? defaultPolicyPath()));
  const baseSchema = buildGatewaySchema();
  const fields = sensitiveFields(baseSchema);
  checkSchemaAgainstPolicy(fields, policy);
  const schema = enforceSchema(baseSchema, { policy, pseudonymSecret: config.pseudonymSecret });
  const commit: DisclosureCommit = async () => {};

  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    purposePlugin({ policy, fields }),
    disclosurePlugin(commit),
    internalStatusPlugin,
  ];
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    plugins,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    csrfPrevention: { requestHeaders: ['authorization', 'x-purpose', 'apollo-require-preflight', 'x-apollo-operation-name'] },
  });
  await apollo.start();

  const readiness: ReadinessCheck[] = [{ name: 'database', check: async () => void (await ds.query('SELECT 1')) }];
  // Checks between authentication and execution, in order (rate limit, trusted documents…).
  const preflight: Preflight[] = [];
  const routes: Record<string, Route> = {
    '/graphql': graphqlHandler({ apollo, registry, ds, bodyLimitBytes: config.bodyLimitBytes, preflight }),
  };
  const server = createHttpServer(routes, readiness, config.requestTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await apollo.stop();
    if (ownsStore && ds.isInitialized) await ds.destroy();
    log.info('gateway stopped');
  })());
  return { url, port, ds, policy, server, registry, close };
}
